"""The chat channel through Apprise, against loopback servers that answer as Slack, Discord and Teams do.

The apps' hosts are routed to tests/fakes/webhook_receiver.py by a requests transport adapter
(tests/fakes/chat_apps.py); our backend, Apprise's payloads and the real Celery worker run as they
would in production. Each message is traced back to its subscriber by the manage link it carries.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter

import pytest
from django.utils import timezone

from incidents.models import Event, EventKind, Incident
from incidents.timeline.incident_lifecycle import open_incident
from incidents.timeline.page_setup import ensure_default_page
from notifications.delivery import sending, subscriber_links
from notifications.delivery.channels.chat import render_chat
from notifications.models import Channel, Delivery, DeliveryStatus, FanOut, Subscriber
from tests.fakes.chat_apps import route_to_loopback, stop_routing
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.fakes.worker import Worker, purge_queue, wait_for

APPS = ("slack", "discord", "teams")
MANAGE_LINK = re.compile(r"/subscribe/manage/([^/\s\"\\]+)/")


def chat_url(app: str) -> str:
    """A fresh webhook URL of the app, as its users paste it."""
    n = uuid.uuid4().hex[:10].upper()
    return {
        "slack": f"https://hooks.slack.com/services/T{n}/B{n}/{n.lower()}",
        "discord": f"https://discord.com/api/webhooks/{int(n, 16)}/tok-{n.lower()}",
        "teams": f"https://prod-01.westus.logic.azure.com:443/workflows/{n.lower()}/triggers/manual/paths/"
        f"invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=sig{n}",
    }[app]


@pytest.fixture
def receiver():
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def loopback_apps(receiver):
    route_to_loopback(receiver.base_url)
    yield receiver
    stop_routing()


def text_of(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False)


def subscribe(app: str) -> Subscriber:
    from notifications.delivery.channels.chat import chat_destination

    return Subscriber.objects.create(
        chat_url=chat_destination(chat_url(app)).url, chat_confirmed_at=timezone.now()
    )


def tally(receiver: WebhookReceiver, name: str) -> dict[str, Counter]:
    """Messages about `name` each app took, by the subscriber whose manage link they carry."""
    counts = {}
    for app in APPS:
        keys = Counter()
        for payload in receiver.chat[app]:
            text = text_of(payload)
            if name in text and (found := MANAGE_LINK.search(text)):
                subscriber = subscriber_links.subscriber_for_manage_token(found[1])
                keys[subscriber.pk if subscriber else None] += 1
        counts[app] = keys
    return counts


def assert_one_formatted_message_each(receiver, incident, subscribers: dict[str, list[Subscriber]]):
    counts = tally(receiver, incident.name)
    for app, subs in subscribers.items():
        duplicates = sum(n - 1 for n in counts[app].values() if n > 1)
        missing = {s.pk for s in subs} - set(counts[app])
        print(
            f"chat {app}: subscribers={len(subs)} messages={sum(counts[app].values())} "
            f"duplicates={duplicates} missing={len(missing)}"
        )
        assert duplicates == 0 and not missing
        assert set(counts[app]) == {s.pk for s in subs}
    title = f"[{ensure_default_page().name}] {incident.name}: Investigating"
    link = f"/incidents/{incident.pk}/"
    slack, discord, teams = (receiver.chat[app][0] for app in APPS)
    assert slack["attachments"][0]["title"] == title
    assert (
        "Message queue eu-west" in slack["attachments"][0]["text"] and link in slack["attachments"][0]["text"]
    )
    assert discord["embeds"][0]["title"] == title
    assert "Message queue eu-west" in discord["embeds"][0]["description"]
    assert link in discord["embeds"][0]["description"]
    card = teams["attachments"][0]["content"]["body"]
    assert [block["text"] for block in card if block.get("id") == "title"] == [title]
    assert any("Message queue eu-west" in b.get("text", "") and link in b.get("text", "") for b in card)


@pytest.mark.django_db
def test_a_permanent_refusal_stops_the_channel_and_a_5xx_retries(loopback_apps, component, settings):
    settings.SITE_URL = "http://status.example.test"
    gone, flaky = subscribe("slack"), subscribe("discord")
    incident = open_incident(
        Incident(name=f"Queue {uuid.uuid4().hex[:6]}", impact="major"), "Slow.", components=[component]
    )
    event = Event.objects.get(incident=incident, kind=EventKind.INCIDENT_CREATED)
    rows = [Delivery.objects.create(event=event, subscriber=s, channel=Channel.CHAT) for s in (gone, flaky)]

    loopback_apps.fail_next(1, status=404)  # Slack: a webhook removed from its workspace
    assert sending.send_delivery(rows[0].pk) is sending.Outcome.FAILED
    loopback_apps.fail_next(1, status=503)
    assert sending.send_delivery(rows[1].pk) is sending.Outcome.RETRY

    gone.refresh_from_db()
    assert gone.chat_suppressed_at is not None and Channel.CHAT not in gone.confirmed_channels()
    assert Delivery.objects.get(pk=rows[0].pk).error.startswith("Slack answered 404")
    flaky_row = Delivery.objects.get(pk=rows[1].pk)
    assert (flaky_row.status, flaky_row.error) == (DeliveryStatus.QUEUED, "Discord answered 503")
    Delivery.objects.filter(pk=flaky_row.pk).update(retry_at=None)
    assert sending.send_delivery(flaky_row.pk) is sending.Outcome.SENT
    assert len(loopback_apps.chat["discord"]) == 1 and loopback_apps.chat["slack"] == []


@pytest.mark.django_db
def test_the_new_event_kinds_have_chat_templates(component):
    incident = Incident.objects.create(
        name="DB upgrade", kind="maintenance", postmortem_body="# Cause\nA lock."
    )
    reminder = render_chat(
        "maintenance_reminder", {"incident": incident, "link": "https://s.test/i/1/", "affected": ["API"]}
    )
    postmortem = render_chat(
        "incident_postmortem",
        {"incident": incident, "link": "https://s.test/i/1/", "postmortem_lines": ["Cause", "A lock."]},
    )
    assert "DB upgrade" in reminder.title and "Affected: API" in reminder.body
    assert postmortem.title.endswith("DB upgrade: Postmortem published") and "A lock." in postmortem.body


@pytest.fixture
def chat_worker(transactional_db, receiver, tmp_path, settings):
    settings.SITE_URL = "http://status.example.test"
    purge_queue()
    worker = Worker(
        tmp_path / "worker.log",
        env={
            "CHAT_BACKEND": "tests.fakes.chat_apps.LoopbackAppriseBackend",
            "CHAT_LOOPBACK_URL": receiver.base_url,
            "SITE_URL": settings.SITE_URL,
            "NOTIFY_RETRY_BASE_SECONDS": "0.2",
            "NOTIFY_RETRY_CAP_SECONDS": "1",
            "NOTIFY_MAX_ATTEMPTS": "20",
        },
    ).start()
    yield worker
    worker.stop()
    print(worker.log()[-3000:])


def run_incident(component, subscribers_per_app: int, receiver, storm: int = 0):
    # The fan-out starts on commit; with the transactional db each statement commits.
    from django.db import connection

    assert connection.in_atomic_block is False
    subscribers = {app: [subscribe(app) for _ in range(subscribers_per_app)] for app in APPS}
    if storm:
        receiver.fail_next(storm // 2, status=503)
        receiver.fail_next(storm - storm // 2, status=500)
    incident = open_incident(
        Incident(name=f"Chat {uuid.uuid4().hex[:8]}", impact="major"),
        "Messages are delayed.",
        components=[component],
    )
    event = Event.objects.get(incident=incident, kind=EventKind.INCIDENT_CREATED)
    expected = subscribers_per_app * len(APPS)

    def done():
        finished = FanOut.objects.filter(event=event, finished_at__isnull=False).exists()
        return (
            finished and Delivery.objects.filter(event=event, status=DeliveryStatus.SENT).count() == expected
        )

    assert wait_for(done, timeout=90), list(Delivery.objects.filter(event=event).values("status", "error"))
    return incident, subscribers


@pytest.mark.e2e
def test_each_app_gets_one_message_per_delivery_in_its_own_format(chat_worker, receiver, component):
    incident, subscribers = run_incident(component, 3, receiver)
    assert_one_formatted_message_each(receiver, incident, subscribers)
    assert receiver.rejected == []


@pytest.mark.e2e
def test_a_5xx_storm_retries_to_exactly_one_message_each(chat_worker, receiver, component):
    incident, subscribers = run_incident(component, 3, receiver, storm=12)
    assert len(receiver.faulted) == 12
    assert_one_formatted_message_each(receiver, incident, subscribers)
    assert receiver.rejected == []
