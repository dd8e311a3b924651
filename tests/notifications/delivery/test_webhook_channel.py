"""Webhook subscribers end to end: a real Celery worker POSTing to a loopback receiver that checks signatures.

Each test counts what the receiver accepted by X-Statuspage-Delivery id and prints
duplicates=... missing=... (run with -s to see it).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from incidents.models import Component, Event, EventKind, Incident, IncidentStatus
from incidents.timeline.incident_lifecycle import open_incident, post_update, publish_postmortem
from incidents.timeline.maintenance import run_maintenance_schedule, schedule_maintenance
from notifications import tasks
from notifications.delivery import subscriber_links
from notifications.delivery.fanout import fan_out
from notifications.delivery.sending import Outcome, send_delivery
from notifications.delivery.webhook_payload import DELIVERY_HEADER, EVENT_HEADER
from notifications.models import Delivery, DeliveryStatus, FanOut, Subscriber
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.fakes.worker import Worker, purge_queue, queued_messages, wait_for

SECRET = "whsec-test-secret"
LOOPBACK = "127.0.0.0/8"


@pytest.fixture
def receiver():
    server = WebhookReceiver(secret=SECRET).start()
    yield server
    server.stop()


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = [LOOPBACK]
    settings.SITE_URL = "http://status.example.test"


class Workers:
    """Celery workers for one test, each with its own environment; stopped at the end."""

    def __init__(self, tmp_path, smtp_server):
        self.tmp_path, self.smtp, self.started = tmp_path, smtp_server, []

    def start(
        self, name: str = "webhooks", *, allow_loopback: bool = True, concurrency: int = 2, **env: str
    ) -> Worker:
        worker = Worker(
            self.tmp_path / f"worker-{name}.log",
            env={
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(self.smtp.port),
                "DEFAULT_FROM_EMAIL": "status@example.test",
                "SITE_URL": "http://status.example.test",
                "WEBHOOK_ALLOWED_NETWORKS": LOOPBACK if allow_loopback else "",
                "WEBHOOK_TIMEOUT_SECONDS": "1",
                "NOTIFY_RETRY_BASE_SECONDS": "0.2",
                "NOTIFY_RETRY_CAP_SECONDS": "1",
                **env,
            },
            concurrency=concurrency,
        )
        self.started.append(worker)
        return worker.start()

    def stop(self) -> None:
        for worker in self.started:
            worker.stop()
            print(f"worker log: {worker.log_path}")


@pytest.fixture
def workers(transactional_db, smtp_server, tmp_path, loopback_allowed):
    purge_queue()
    started = Workers(tmp_path, smtp_server)
    yield started
    started.stop()


def hook(receiver, n: int = 0, **fields) -> Subscriber:
    """A confirmed webhook subscriber (to everything unless told) whose secret the receiver checks."""
    return Subscriber.objects.create(
        email=f"ops{n}@example.test",
        webhook_url=receiver.url(f"/hook/{n}"),
        webhook_secret=SECRET,
        webhook_confirmed_at=timezone.now(),
        **fields,
    )


def incident(component, name: str) -> Incident:
    return open_incident(Incident(name=name, impact="major"), "Messages are delayed.", components=[component])


def all_sent(event: Event, expected: int) -> bool:
    finished = FanOut.objects.filter(event=event, finished_at__isnull=False).exists()
    return finished and Delivery.objects.filter(event=event, status=DeliveryStatus.SENT).count() == expected


def settle(seconds: float = 2) -> None:
    """Give a duplicate time to show up, if the pipeline made one."""
    time.sleep(seconds)
    wait_for(lambda: queued_messages() == 0, timeout=10)
    time.sleep(0.5)


def tally(receiver, event: Event) -> tuple[int, int]:
    """(duplicates, missing) of the event's deliveries at the receiver, printed."""
    expected = set(Delivery.objects.filter(event=event).values_list("provider_id", flat=True))
    with receiver.lock:
        ids = [d.headers.get(DELIVERY_HEADER) for d in receiver.deliveries]
    got = [i for i in ids if i in expected]
    duplicates, missing = len(got) - len(set(got)), len(expected - set(got))
    print(
        f"webhooks deliveries={len(expected)} received={len(got)} duplicates={duplicates} "
        f"missing={missing} faulted={len(receiver.faulted)} rejected={len(receiver.rejected)}"
    )
    return duplicates, missing


def test_a_subscriber_who_chose_one_component_and_one_event_gets_exactly_that_post_once(
    workers, receiver, component
):
    other = Component.objects.create(name="Search", position=2)
    fan = hook(receiver, all_components=False, event_kinds=[EventKind.INCIDENT_CREATED])
    fan.components.set([component])
    workers.start()

    wanted = Event.objects.get(incident=incident(component, "Queue backlog"), kind=EventKind.INCIDENT_CREATED)
    elsewhere = incident(other, "Search is slow")  # another component
    assert wait_for(lambda: all_sent(wanted, 1), timeout=30, interval=0.2)
    post_update(wanted.incident, IncidentStatus.MONITORING, "A fix is out.")  # another event kind
    assert wait_for(lambda: FanOut.objects.filter(finished_at__isnull=True).count() == 0, timeout=30)
    settle()

    assert tally(receiver, wanted) == (0, 0)
    assert receiver.rejected == [] and len(receiver.deliveries) == 1
    (received,) = receiver.deliveries
    delivery = Delivery.objects.get(event=wanted)
    assert received.signature_ok and received.path == "/hook/0"
    assert received.headers[EVENT_HEADER] == "incident.created"
    assert (
        received.headers[DELIVERY_HEADER]
        == delivery.provider_id
        == f"delivery-{delivery.pk}.event-{wanted.pk}"
    )
    body = received.payload
    assert list(body) == ["meta", "page", "incident"]
    assert set(body["meta"]) == {"unsubscribe", "documentation", "generated_at"}
    assert (
        urlsplit(body["meta"]["unsubscribe"]).path
        == urlsplit(subscriber_links.unsubscribe_url(fan, "webhook")).path
    )
    assert set(body["page"]) == {"id", "status_indicator", "status_description"}
    assert body["incident"]["name"] == "Queue backlog" and body["incident"]["status"] == "investigating"
    (update,) = body["incident"]["incident_updates"]
    assert update["body"] == "Messages are delayed."
    assert not Delivery.objects.filter(event__incident=elsewhere).exists()


def test_5xx_429_and_timeout_storms_then_success_reach_each_receiver_once_per_delivery(
    workers, receiver, component
):
    for n in range(12):
        hook(receiver, n)
    receiver.fail_next(4, status=503)
    receiver.fail_next(3, status=429, headers={"Retry-After": "1"})
    receiver.fail_next(2, status=500)
    receiver.fail_next(3, delay=1.5, status=200)  # answered after the sender gave up: a timeout
    receiver.fail_next(2, status=408)
    workers.start("storms", NOTIFY_MAX_ATTEMPTS="10")

    event = Event.objects.get(incident=incident(component, "Receiver trouble"), kind="incident.created")
    assert wait_for(lambda: all_sent(event, 12), timeout=60, interval=0.25)
    settle(3)

    attempts = sorted(Delivery.objects.filter(event=event).values_list("attempts", flat=True))
    print(f"attempts={attempts}")
    assert tally(receiver, event) == (0, 0)
    assert receiver.faults == [] and receiver.rejected == []
    assert sum(attempts) == 12 + 14 and max(attempts) >= 2
    # Failures that were retried away do not count towards a pause.
    assert set(Subscriber.objects.values_list("webhook_failures", flat=True)) == {0}


def test_the_same_send_task_delivered_twice_posts_each_delivery_once(workers, receiver, component):
    for n in range(20):
        hook(receiver, n)
    # With no worker running, the fan-out queued on commit and its duplicate wait side by side.
    event = Event.objects.get(incident=incident(component, "Delivered twice"), kind="incident.created")
    tasks.fanout_event.delay(event.pk)
    workers.start("twice", concurrency=4, FANOUT_CHUNK_SIZE="5")

    assert wait_for(lambda: FanOut.objects.filter(event=event, finished_at__isnull=False).exists())
    ids = list(Delivery.objects.filter(event=event).order_by("pk").values_list("pk", flat=True))
    tasks.send_deliveries.delay(ids)
    tasks.send_deliveries.delay(ids)
    assert wait_for(lambda: all_sent(event, 20), timeout=60, interval=0.25)
    tasks.send_deliveries.delay(ids)  # and once more, long after
    settle()

    assert tally(receiver, event) == (0, 0)


def test_a_redirect_is_a_failure_and_is_not_followed(workers, receiver, component):
    subscriber = hook(receiver)
    receiver.fail_next(1, status=302, location=receiver.url("/hook/elsewhere"))
    workers.start("redirect")

    event = Event.objects.get(incident=incident(component, "Moved"), kind="incident.created")
    assert wait_for(
        lambda: Delivery.objects.filter(event=event, status=DeliveryStatus.FAILED).exists(), timeout=30
    )
    settle(1)

    delivery = Delivery.objects.get(event=event)
    assert delivery.error == "answered 302 (a redirect: not followed)" and delivery.attempts == 1
    assert receiver.deliveries == [] and [d.path for d in receiver.faulted] == ["/hook/0"]
    subscriber.refresh_from_db()
    assert subscriber.webhook_failures == 1 and subscriber.webhook_suppressed_at is None


def test_repeated_failures_pause_the_webhook_and_tell_the_contact_once_and_resume_works(
    workers, receiver, component, smtp_server, client
):
    subscriber = hook(receiver)
    receiver.fail_next(100, status=404)
    workers.start("pause", WEBHOOK_PAUSE_AFTER_FAILURES="3")

    for n in range(3):
        event = Event.objects.get(incident=incident(component, f"Outage {n}"), kind="incident.created")
        done = Delivery.objects.filter(event=event).exclude(status__in=["queued", "sending"])
        assert wait_for(done.exists, timeout=30)
    # Paused: the next event makes no delivery for it at all.
    event = Event.objects.get(incident=incident(component, "Outage 3"), kind="incident.created")
    assert wait_for(lambda: FanOut.objects.filter(event=event, finished_at__isnull=False).exists())
    settle(1)

    statuses = list(Delivery.objects.order_by("event_id").values_list("status", flat=True))
    print(f"statuses={statuses} faulted={len(receiver.faulted)}")
    assert statuses == ["failed", "failed", "failed"] and len(receiver.faulted) == 3
    subscriber.refresh_from_db()
    assert subscriber.webhook_suppressed_at and subscriber.webhook_failures == 3
    (notice,) = [m for m in smtp_server.messages if m["To"] == "ops0@example.test"]
    text = notice.get_body(("plain",)).get_content()
    assert str(notice["Subject"]) == "Webhook paused: Example Status could not deliver to 127.0.0.1"
    assert "answered 404" in text and "/hook/0" not in text  # the host only, not the URL
    manage = urlsplit(subscriber_links.manage_url(subscriber)).path
    assert manage in text
    assert subscriber.email_confirmed_at is None  # the contact got the notice, not a subscription

    # They fix their endpoint and resume from the manage page; the next event goes through.
    receiver.faults.clear()
    assert client.post(manage + "webhook/resume/").status_code == 302
    event = Event.objects.get(incident=incident(component, "After the fix"), kind="incident.created")
    assert wait_for(lambda: all_sent(event, 1), timeout=30)
    settle(1)
    assert tally(receiver, event) == (0, 0)
    assert len([m for m in smtp_server.messages if m["To"] == "ops0@example.test"]) == 1


def test_a_webhook_on_a_private_address_is_refused_at_sign_up_and_at_send_time(
    workers, receiver, component, client, settings
):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    response = client.post(
        "/subscribe/webhook/", {"webhook_url": receiver.url(), "webhook_contact": "ops@example.test"}
    )
    assert response.status_code == 400 and b"(loopback)" in response.content

    # Confirmed while the operator allowed loopback; the allow-list has gone since.
    hook(receiver)
    workers.start("no-allow-list", allow_loopback=False)
    event = Event.objects.get(incident=incident(component, "Internal"), kind="incident.created")
    assert wait_for(
        lambda: Delivery.objects.filter(event=event, status=DeliveryStatus.FAILED).exists(), timeout=30
    )
    settle(1)

    assert "(loopback)" in Delivery.objects.get(event=event).error
    assert receiver.deliveries == [] and receiver.faulted == [] and receiver.rejected == []


# --- Every event kind has a body (in this process: no worker needed)

START = datetime(2031, 3, 4, 18, 30, tzinfo=UTC)


def test_every_event_kind_reaches_a_webhook_as_statuspage_sends_it(
    db, receiver, component, loopback_allowed, django_capture_on_commit_callbacks
):
    hook(receiver, event_kinds=[str(kind) for kind in EventKind])
    window = schedule_maintenance(
        "Database upgrade", "We upgrade.", [component], START, START + timedelta(hours=2)
    )
    run_maintenance_schedule(START - timedelta(minutes=30))  # the reminder
    run_maintenance_schedule(START + timedelta(minutes=1))  # started; the component changes
    outage = incident(component, "Checkout errors")
    post_update(outage, IncidentStatus.RESOLVED, "Fixed.", component_statuses={component.pk: "operational"})
    publish_postmortem(outage, "## Summary\n\nA lock.")

    queued: list[int] = []
    for event_id in Event.objects.order_by("id").values_list("pk", flat=True):
        with django_capture_on_commit_callbacks(execute=True):
            fan_out(event_id, enqueue=queued.extend)
    assert [send_delivery(pk) for pk in queued] == [Outcome.SENT] * len(queued)

    by_kind = {d.headers[EVENT_HEADER]: d.payload for d in receiver.deliveries}
    assert set(by_kind) >= {
        "maintenance.scheduled",
        "maintenance.reminder",
        "maintenance.started",
        "component.status_changed",
        "incident.created",
        "incident.resolved",
        "incident.postmortem",
    }
    assert all(d.signature_ok for d in receiver.deliveries) and receiver.rejected == []
    reminder = by_kind["maintenance.reminder"]["incident"]
    assert reminder["id"] and reminder["impact"] == "maintenance"
    assert reminder["scheduled_for"].startswith("2031-03-04T18:30") and reminder["scheduled_reminded_at"]
    assert by_kind["maintenance.reminder"]["incident"]["name"] == window.name
    postmortem = by_kind["incident.postmortem"]["incident"]
    assert postmortem["postmortem_body"] == "## Summary\n\nA lock." and postmortem["postmortem_published_at"]
    changed = by_kind["component.status_changed"]
    assert list(changed) == ["meta", "page", "component", "component_update"]
    assert changed["component_update"]["component_id"] == changed["component"]["id"]
