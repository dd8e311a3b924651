"""Delivery under failure, on the real stack: a killed worker, Redis down, a failing provider, redelivery.

Each test counts what reached the loopback SMTP server and the Twilio-compatible server by recipient,
and what webhook, chat and push subscribers got (all_channels.py), prints the counts (a line
`channel=<c> duplicates=.. missing=..` per channel), and asserts one message per subscriber per event.

Only a killed worker can make an SMTP transaction happen twice: SMTP cannot be asked what it took, so an
email in flight at the kill goes again under its Message-ID, one message to the mailboxes that keep
one copy per Message-ID (Gmail, Exchange). Twilio can be asked, so SMS stay exactly once even then.
A webhook in flight at the kill goes again under its X-Statuspage-Delivery id, a push under its tag
(replacing the notification on screen); a chat message in flight at a kill may be posted twice, as
chat apps can't be asked what they took.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.models import Event, Incident
from incidents.timeline.incident_lifecycle import open_incident
from notifications import tasks
from notifications.models import Delivery, DeliveryStatus, FanOut, Subscriber
from tests.fakes.redis_server import RedisServer, broker_url
from tests.fakes.worker import (
    Worker,
    purge_queue,
    queued_messages,
    restore_unacked,
    unacked_tags,
    wait_for,
)
from tests.notifications.delivery import all_channels

pytestmark = pytest.mark.e2e

# Short enough for a test, as a deployment would set them relative to its own time limits.
FAST_SWEEP = {"NOTIFY_STRANDED_AFTER_SECONDS": "2", "NOTIFY_SENDING_STUCK_SECONDS": "3"}
# A responder declaring an incident while Redis is down should wait no longer than this (with Redis
# refusing connections it takes about 2 s). One POST records two events here (incident.created and
# component.status_changed), and each publish pays the whole timeout-and-retry budget.
SLOW_REQUEST_SECONDS = 10


@dataclass
class Tally:
    """What the two servers received about one incident, by recipient."""

    subscribers: int
    emails: Counter  # distinct messages (Message-IDs) by recipient: what their mailbox shows
    texts: Counter
    expected_emails: set[str]
    expected_phones: set[str]
    smtp_transactions: Counter  # every copy the SMTP server took, by recipient

    @property
    def received(self) -> int:
        return sum(self.emails.values()) + sum(self.texts.values())

    @property
    def duplicates(self) -> dict[str, int]:
        return {to: n for to, n in (self.emails + self.texts).items() if n > 1}

    @property
    def resent_emails(self) -> dict[str, int]:
        """Recipients whose one message crossed SMTP more than once."""
        return {to: n for to, n in self.smtp_transactions.items() if n > 1}

    @property
    def missing(self) -> set[str]:
        return (self.expected_emails - set(self.emails)) | (self.expected_phones - set(self.texts))

    @property
    def strangers(self) -> set[str]:
        return (set(self.emails) - self.expected_emails) | (set(self.texts) - self.expected_phones)

    def line(self) -> str:
        return (
            f"subscribers={self.subscribers} emails={sum(self.emails.values())} "
            f"sms={sum(self.texts.values())} duplicates={sum(n - 1 for n in self.duplicates.values())} "
            f"missing={len(self.missing)} smtp_transactions={sum(self.smtp_transactions.values())}"
        )

    def assert_exactly_once(self, email_in_flight: Counter | None = None) -> None:
        """One message each, and one SMTP transaction each but for `email_in_flight[to]` resends."""
        for channel, got, expected in (
            ("email", self.emails, self.expected_emails),
            ("sms", self.texts, self.expected_phones),
        ):
            duplicates = sum(n - 1 for n in got.values() if n > 1)
            resent = (
                sum(n - 1 for to, n in self.smtp_transactions.items() if n > 1) if channel == "email" else 0
            )
            print(
                f"channel={channel} deliveries={len(expected)} duplicates={duplicates} "
                f"missing={len(expected - set(got))}" + (f" resent={resent}" if channel == "email" else "")
            )
        assert not self.duplicates, f"sent more than once: {self.duplicates}"
        assert not self.missing, f"never sent: {sorted(self.missing)[:20]}"
        assert not self.strangers, f"sent to non-subscribers: {sorted(self.strangers)[:20]}"
        assert self.received == self.subscribers
        allowed = email_in_flight or Counter()
        unexplained = {to: n for to, n in self.resent_emails.items() if n > 1 + allowed[to]}
        assert not unexplained, f"emails resent with no kill to explain it: {unexplained}"


class Stack:
    """Subscribers, an incident, workers and the counts, for one test."""

    def __init__(self, smtp_server, twilio_server, tmp_path, component):
        self.smtp = smtp_server
        self.twilio = twilio_server
        self.tmp_path = tmp_path
        self.component = component
        self.workers: list[Worker] = []
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.others = all_channels.OtherChannels()  # webhook, chat and push subscribers and their receivers

    def subscribe(
        self, emails: int, phones: int, *, webhooks: int = 0, chats: int = 0, pushes: int = 0
    ) -> None:
        """Confirmed subscribers to everything, each by one channel, the channels mixed."""
        now = timezone.now()
        self.emails = {f"reader{n}@example.test" for n in range(emails)}
        self.phones = {f"+1415555{n:04d}" for n in range(phones)}
        rows = [Subscriber(email=f"reader{n}@example.test", email_confirmed_at=now) for n in range(emails)]
        for n in range(phones):  # every other one, so each fan-out chunk holds both channels
            rows.insert(2 * n + 1, Subscriber(phone=f"+1415555{n:04d}", phone_confirmed_at=now))
        others = self.others.rows(webhooks, chats, pushes)
        spread = sorted(  # the other channels' rows spread evenly among them, in a stable order
            [(n / len(rows), 0, row) for n, row in enumerate(rows)]
            + [(n / len(others), 1, row) for n, row in enumerate(others)],
            key=lambda item: item[:2],
        )
        Subscriber.objects.bulk_create([row for *_, row in spread])

    @property
    def subscribers(self) -> int:
        return len(self.emails) + len(self.phones) + self.others.subscribers

    def worker(self, name: str, *, concurrency: int = 2, own_session: bool = False, **env: str) -> Worker:
        worker = Worker(
            self.tmp_path / f"worker-{name}.log",
            env={
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.smtp.port),
                "DEFAULT_FROM_EMAIL": "status@example.test",
                "SMS_BACKEND": "notifications.providers.twilio_sms.TwilioBackend",
                "TWILIO_ACCOUNT_SID": self.twilio.account_sid,
                "TWILIO_AUTH_TOKEN": self.twilio.auth_token,
                "TWILIO_FROM_NUMBER": "+15005550006",
                "TWILIO_API_BASE_URL": self.twilio.base_url,
                "TWILIO_STATUS_CALLBACKS": "false",
                "SITE_URL": "http://status.example.test",
                **self.others.worker_env(),
                **env,
            },
            concurrency=concurrency,
            own_session=own_session,
        )
        self.workers.append(worker)
        return worker.start()

    def open_incident(self, name: str) -> Incident:
        return open_incident(
            Incident(name=name, impact="major"), "Messages are delayed.", components=[self.component]
        )

    def tally(self, name: str) -> Tally:
        emails = [m for m in self.smtp.messages if name in str(m["Subject"])]
        return Tally(
            subscribers=len(self.emails) + len(self.phones),
            emails=Counter(to for to, _ in {(str(m["To"]), str(m["Message-ID"])) for m in emails}),
            texts=Counter(m.get("To") for m in self.twilio.messages if name in m.get("Body", "")),
            expected_emails=self.emails,
            expected_phones=self.phones,
            smtp_transactions=Counter(str(m["To"]) for m in emails),
        )

    def received(self) -> int:
        return len(self.smtp.messages) + len(self.twilio.messages) + self.others.received()

    def stop(self) -> None:
        while self.workers:
            worker = self.workers.pop(0)
            worker.stop()
            print(f"worker log: {worker.log_path}")
        self.others.stop()


@pytest.fixture
def stack(transactional_db, smtp_server, twilio_server, tmp_path, settings, component):
    settings.SITE_URL = "http://status.example.test"
    smtp_log = logging.getLogger("mail.log")  # aiosmtpd logs every SMTP command at INFO
    level = smtp_log.level
    smtp_log.setLevel(logging.WARNING)
    purge_queue()
    stack = Stack(smtp_server, twilio_server, tmp_path, component)
    yield stack
    stack.stop()
    smtp_log.setLevel(level)


def all_sent(event: Event, expected: int) -> bool:
    finished = FanOut.objects.filter(event=event, finished_at__isnull=False).exists()
    sent = Delivery.objects.filter(event=event, status=DeliveryStatus.SENT).count()
    return finished and sent == expected


def sweep_until_all_sent(event: Event, expected: int, timeout: float) -> bool:
    """Run the sweeper now and then, as beat would, until every delivery is sent."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tasks.sweep.delay()
        if wait_for(lambda: all_sent(event, expected), timeout=1.5, interval=0.25):
            return True
    return all_sent(event, expected)


def settle(stack: Stack, seconds: float = 3) -> None:
    """Give a duplicate time to show up, if the pipeline made one."""
    time.sleep(seconds)
    wait_for(lambda: queued_messages() == 0, timeout=10)
    time.sleep(0.5)


@dataclass
class Kill:
    """What the pipeline looked like the moment a worker was killed."""

    received: int
    cursor: int
    fanout_finished: bool
    deliveries: int
    in_flight: set[str]  # recipients whose delivery was in "sending"
    others_in_flight: Counter  # webhook, chat and push deliveries in "sending", by channel

    def line(self, stack: Stack) -> str:
        return (
            f"after {self.received}/{stack.subscribers} messages; fan-out cursor {self.cursor}, "
            f"finished={self.fanout_finished}, deliveries made {self.deliveries}, "
            f"in 'sending' {len(self.in_flight)} and {dict(self.others_in_flight)}"
        )


def kill(worker: Worker, event: Event, stack: Stack) -> Kill:
    worker.kill()
    fanout = FanOut.objects.filter(event=event).first()
    in_flight_rows = Delivery.objects.filter(event=event, status=DeliveryStatus.SENDING)
    return Kill(
        received=stack.received(),
        cursor=fanout.cursor if fanout else 0,
        fanout_finished=bool(fanout and fanout.finished_at),
        deliveries=Delivery.objects.filter(event=event).count(),
        in_flight={
            d.subscriber.email or d.subscriber.phone
            for d in in_flight_rows.filter(channel__in=["email", "sms"]).select_related("subscriber")
        },
        others_in_flight=all_channels.in_flight(event),
    )


@contextmanager
def sweeping(interval: float = 1.5):
    """Run the sweeper every `interval` seconds, as beat does in a deployment."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            tasks.sweep.delay()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_killing_workers_mid_fanout_and_mid_send_still_reaches_each_subscriber_once(stack):
    stack.subscribe(emails=200, phones=200, webhooks=30, chats=30, pushes=30)
    env = {"FANOUT_CHUNK_SIZE": "20", **FAST_SWEEP}
    name = "Queue backlog: workers killed"
    first = stack.worker("killed-mid-fanout", own_session=True, **env)
    event = Event.objects.get(incident=stack.open_incident(name))

    # A lost machine takes the worker and its pool children at once, here while the fan-out is under way.
    assert wait_for(lambda: FanOut.objects.filter(event=event, cursor__gte=60).exists(), interval=0.005)
    kills = [kill(first, event, stack)]
    print("kill 1:", kills[0].line(stack))
    assert not kills[0].fanout_finished, "the fan-out finished before the kill; add subscribers"

    with sweeping():
        second = stack.worker("killed-mid-send", own_session=True, **env)
        assert wait_for(lambda: stack.received() >= kills[0].received + 60, timeout=60, interval=0.01)
        time.sleep(random.uniform(0, 0.2))  # not in step with any one message
        kills.append(kill(second, event, stack))
        print("kill 2:", kills[1].line(stack))
        assert kills[1].received < stack.subscribers, "everything was sent before the kill; add subscribers"
        held = unacked_tags()  # what the dead workers had taken and never acknowledged

        stack.worker("survivor", **env)
        assert wait_for(lambda: all_sent(event, stack.subscribers), timeout=75, interval=0.25)
    # Much later the broker hands the dead workers' unacknowledged tasks out again.
    restore_unacked(held)
    settle(stack)

    tally = stack.tally(name)
    in_flight = Counter(to for k in kills for to in k.in_flight)
    retried = Delivery.objects.filter(event=event, attempts__gt=1, channel="sms").count()
    resent = stack.twilio.requests - len(stack.phones)
    print(tally.line(), f"redelivered_tasks={len(held)} in_flight_at_kills={sum(in_flight.values())}")
    print(
        f"sms in doubt={retried}: found at twilio={retried - resent} sent again={resent} "
        f"(lookups={stack.twilio.lookups}); emails resent={tally.resent_emails}"
    )
    # A row left in "sending" by a kill is asked about (SMS) or resent under its Message-ID (email);
    # only an email in flight at a kill may cross SMTP twice, once per kill.
    tally.assert_exactly_once(email_in_flight=in_flight)
    stack.others.check(event, name, in_flight=sum((k.others_in_flight for k in kills), Counter()))


@pytest.fixture
def private_redis(settings):
    """A Redis of this test's own, as broker and cache of this process and of the workers it starts.

    Ask for it before `stack`, so the workers stop before their broker does.
    """
    redis = RedisServer().start()
    settings.REDIS_URL = redis.url
    settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis.url}}
    with broker_url(redis.url):
        yield redis
    redis.close()


def post_incident(component, name: str):
    """Declare an incident through the staff API, as a responder's script or the console would."""
    staff = get_user_model().objects.create_superuser("oncall", "", "pw-for-tests-only")
    client = APIClient()
    client.force_authenticate(staff)
    return client.post(
        "/api/v1/incidents/",
        {
            "name": name,
            "status": "investigating",
            "body": "Looking into it.",
            "components": {str(component.pk): "major_outage"},
        },
        format="json",
    )


def test_incident_posted_while_redis_is_down_is_sent_once_redis_is_back(
    private_redis, stack, component, caplog
):
    stack.subscribe(emails=30, phones=30, webhooks=10, chats=12, pushes=10)
    private_redis.stop()

    name = "Redis outage: posted while the broker was down"
    started = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="notifications.delivery.receivers"):
        response = post_incident(component, name)
    took = time.monotonic() - started
    print(f"POST /api/v1/incidents/ with Redis down: {response.status_code} in {took:.1f}s")
    assert response.status_code == 201, response.content
    assert took < SLOW_REQUEST_SECONDS
    assert "could not enqueue fanout_event" in caplog.text
    event = Event.objects.get(incident__name=name)
    assert not Delivery.objects.filter(event=event).exists()

    time.sleep(max(0.0, 60 - (time.monotonic() - started)))  # back a minute later
    private_redis.start()
    stack.worker("after-outage", **FAST_SWEEP)
    assert sweep_until_all_sent(event, stack.subscribers, timeout=30)
    settle(stack)

    tally = stack.tally(name)
    print(tally.line())
    tally.assert_exactly_once()
    stack.others.check(event, name)


def test_posting_an_incident_while_redis_hangs_does_not_hang_the_request(
    private_redis, transactional_db, component
):
    # The web process has published before, so it holds a pooled connection, as in production.
    tasks.sweep.delay()
    # Redis stops answering but the connection stays open: a host that died, a failover, a NAT timeout.
    private_redis.freeze()
    watchdog = threading.Timer(SLOW_REQUEST_SECONDS + 2, private_redis.thaw)  # this test must end
    watchdog.start()
    started = time.monotonic()
    try:
        response = post_incident(component, "Redis hangs: posted while the broker hung")
    finally:
        took = time.monotonic() - started
        watchdog.cancel()
        private_redis.thaw()
    print(f"POST /api/v1/incidents/ with Redis hung: {response.status_code} in {took:.1f}s")
    assert response.status_code == 201, response.content
    assert took < SLOW_REQUEST_SECONDS


def test_429s_5xx_timeouts_lost_answers_and_451s_are_retried_until_each_subscriber_has_one_message(
    stack, smtp_server, twilio_server
):
    stack.subscribe(emails=40, phones=40, webhooks=12, chats=12, pushes=12)
    # Webhooks and chat apps (one receiver, so either may meet each) and the push service refuse too.
    stack.others.receiver.fail_next(3, status=503)
    stack.others.receiver.fail_next(2, status=500)
    stack.others.receiver.fail_next(2, status=502)
    stack.others.push.fail_next(429, 500, 503, 502, 429)
    # Longer than PROVIDER_TIMEOUT_SECONDS: two requests Twilio never took, two it took but never answered.
    twilio_server.stalls = [3.0, 3.0]
    twilio_server.lost_answers = [3.0, 3.0]
    twilio_server.failures = [(429, 20429), (503, None), (500, None), (429, 20429), (502, None)]
    smtp_server.fail_temporarily(rcpt=3, data=3)
    faults = [
        twilio_server.stalls,
        twilio_server.lost_answers,
        twilio_server.failures,
        stack.others.receiver.faults,
        stack.others.push.faults,
    ]
    injected = sum(len(f) for f in faults) + 3 + 3
    # A text Twilio refused or never took is sent again; one it took is found, not sent again.
    sms_requests = len(stack.phones) + len(twilio_server.stalls) + len(twilio_server.failures)
    lost_answers = len(twilio_server.lost_answers)
    stack.worker(
        "flaky-providers",
        PROVIDER_TIMEOUT_SECONDS="1",
        NOTIFY_RETRY_BASE_SECONDS="0.5",
        NOTIFY_RETRY_CAP_SECONDS="4",
        NOTIFY_MAX_ATTEMPTS="10",  # one unlucky delivery may meet several of the failures in a row
    )
    name = "Provider trouble"
    event = Event.objects.get(incident=stack.open_incident(name))

    assert wait_for(lambda: all_sent(event, stack.subscribers), timeout=60, interval=0.25)
    settle(stack)

    attempts = Counter(Delivery.objects.filter(event=event).values_list("attempts", flat=True))
    tally = stack.tally(name)
    print(tally.line(), f"injected_failures={injected} attempts={dict(sorted(attempts.items()))}")
    print(f"twilio requests={twilio_server.requests} lookups={twilio_server.lookups}")
    tally.assert_exactly_once()
    stack.others.check(event, name)
    assert faults == [[], [], [], [], []]
    assert twilio_server.requests == sms_requests
    assert twilio_server.lookups >= lost_answers
    # Every failed attempt is on the row: one attempt per delivery plus one per injected failure.
    assert sum(n * count for n, count in attempts.items()) == stack.subscribers + injected
    assert max(attempts) >= 2


def test_a_send_task_that_runs_out_of_time_hands_the_rest_back_and_sends_each_once(stack, twilio_server):
    stack.subscribe(emails=0, phones=16, webhooks=4, chats=6, pushes=4)
    # A slow but healthy provider: one fan-out chunk's sends take longer than the task may run
    # (in production: 500 a chunk at ~0.2 s each against a 60 s soft and 90 s hard limit).
    twilio_server.latency = 0.4
    stack.worker("time-limits", CELERY_TASK_SOFT_TIME_LIMIT="2", CELERY_TASK_TIME_LIMIT="4")
    name = "Slow provider"
    event = Event.objects.get(incident=stack.open_incident(name))

    # No sweeper here: a task that runs out of time must hand the rest back itself.
    done = wait_for(lambda: all_sent(event, stack.subscribers), timeout=15, interval=0.25)
    settle(stack, seconds=1)

    statuses = Counter(Delivery.objects.filter(event=event).values_list("status", flat=True))
    tally = stack.tally(name)
    print(tally.line(), f"statuses={dict(statuses)} twilio requests={twilio_server.requests}")
    assert done, statuses
    tally.assert_exactly_once()
    stack.others.check(event, name)


def test_the_same_fanout_and_send_tasks_delivered_twice_send_each_message_once(stack):
    stack.subscribe(emails=100, phones=100, webhooks=20, chats=21, pushes=20)
    name = "Delivered twice"
    # With no worker running, the fan-out queued on commit and its duplicate wait side by side.
    event = Event.objects.get(incident=stack.open_incident(name))
    tasks.fanout_event.delay(event.pk)
    stack.worker("twice", concurrency=4, FANOUT_CHUNK_SIZE="20")

    assert wait_for(lambda: FanOut.objects.filter(event=event, finished_at__isnull=False).exists())
    ids = list(Delivery.objects.filter(event=event).order_by("pk").values_list("pk", flat=True))
    # The same send tasks again, racing the originals still at work.
    tasks.send_deliveries.delay(ids)
    tasks.send_deliveries.delay(ids)
    assert wait_for(lambda: all_sent(event, stack.subscribers), timeout=60, interval=0.25)
    # And once more, long after: both tasks find nothing left to do.
    tasks.fanout_event.delay(event.pk)
    tasks.send_deliveries.delay(ids)
    settle(stack)

    tally = stack.tally(name)
    print(tally.line(), f"deliveries={len(ids)}")
    tally.assert_exactly_once()
    stack.others.check(event, name)
