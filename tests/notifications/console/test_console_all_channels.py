"""Chat and browser-push subscribers in the staff console: listed with their channel and state, filtered
by channel, counted per channel on an event's page, exported; a chat URL (it holds the webhook's token)
and a push endpoint (it is the browser's subscription) are never shown whole."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents.models import Event, EventKind
from notifications.delivery.channels.chat import get_backend
from notifications.models import Channel, Delivery, DeliveryStatus, Subscriber

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T0SECRETA/B0SECRETB/tokensecretc"
DISCORD = "https://discord.com/api/webhooks/987654321/tok-secretdiscord"
PUSH = "https://fcm.googleapis.com/fcm/send/browser-secret-endpoint"
SECRETS = ("SECRETA", "SECRETB", "tokensecretc", "987654321", "secretdiscord", "browser-secret-endpoint")


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_user("admin", password="pw-for-tests-only")
    user.groups.add(Group.objects.get(name="Admin"))
    client.force_login(user)
    return client


@pytest.fixture
def people() -> dict[str, Subscriber]:
    now = timezone.now()
    stored = {url: get_backend().destination(url).url for url in (SLACK, DISCORD)}
    return {
        "slack": Subscriber.objects.create(chat_url=stored[SLACK], chat_confirmed_at=now),
        "discord off": Subscriber.objects.create(
            chat_url=stored[DISCORD], chat_confirmed_at=now, chat_opted_out_at=now
        ),
        "browser": Subscriber.objects.create(
            push_endpoint=PUSH, push_keys={"p256dh": "x", "auth": "y"}, push_confirmed_at=now
        ),
        "reader": Subscriber.objects.create(email="reader@example.com", email_confirmed_at=now),
    }


def no_secrets(text: str) -> None:
    leaked = [s for s in SECRETS if s in text]
    assert not leaked, f"shown: {leaked}"


def test_the_list_shows_chat_and_push_subscribers_with_their_app_host_and_state(admin_client, people):
    page = admin_client.get("/console/subscribers/").content.decode()

    assert "Slack channel" in page and "hooks.slack.com" in page
    assert "Discord channel" in page and "opted out" in page
    assert "Browser push" in page and "fcm.googleapis.com" in page
    no_secrets(page)


def test_the_list_filters_by_channel_and_by_the_channels_own_state(admin_client, people):
    def shown(**query) -> set[int]:
        response = admin_client.get("/console/subscribers/", query)
        assert response.status_code == 200
        return {s.pk for s in response.context["page"]}

    ids = {name: s.pk for name, s in people.items()}
    assert shown(channel="chat") == {ids["slack"], ids["discord off"]}
    assert shown(channel="push") == {ids["browser"]}
    assert shown(channel="email") == {ids["reader"]}
    assert shown(channel="chat", status="opted_out") == {ids["discord off"]}
    assert shown(channel="push", status="opted_out") == set()
    assert shown(status="opted_out") == {ids["discord off"]}
    assert admin_client.get("/console/subscribers/", {"channel": "pigeon"}).status_code == 400


def test_the_export_ends_with_the_chat_host_and_push_columns(admin_client, people):
    response = admin_client.get("/console/subscribers/export.csv")

    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[-6:] == [
        "webhook_url",
        "webhook_status",
        "chat_host",
        "chat_status",
        "push",
        "push_status",
    ]
    assert [(r["chat_host"], r["chat_status"], r["push"], r["push_status"]) for r in rows] == [
        ("hooks.slack.com", "on", "no", ""),
        ("discord.com", "off", "no", ""),
        ("", "", "yes", "on"),
        ("", "", "no", ""),
    ]
    no_secrets(text)


def test_an_events_page_counts_deliveries_per_channel_and_names_chat_and_push_by_host(admin_client, people):
    event = Event.objects.create(kind=EventKind.INCIDENT_CREATED)
    for name, channel, status in (
        ("slack", Channel.CHAT, DeliveryStatus.SENT),
        ("discord off", Channel.CHAT, DeliveryStatus.FAILED),
        ("browser", Channel.PUSH, DeliveryStatus.SENT),
        ("reader", Channel.EMAIL, DeliveryStatus.QUEUED),
    ):
        Delivery.objects.create(event=event, subscriber=people[name], channel=channel, status=status)

    response = admin_client.get(f"/console/events/{event.pk}/")

    counts = {value: c for value, _, c in response.context["channels"]}
    assert set(counts) == {"email", "chat", "push"}
    assert (counts["chat"]["total"], counts["chat"]["sent"], counts["chat"]["failed"]) == (2, 1, 1)
    assert (counts["push"]["total"], counts["push"]["sent"]) == (1, 1)
    assert (counts["email"]["total"], counts["email"]["queued"]) == (1, 1)
    html = response.content.decode()
    assert "Slack channel (hooks.slack.com)" in html and "Discord channel (discord.com)" in html
    assert "a browser via fcm.googleapis.com" in html and "reader@example.com" in html
    no_secrets(html)

    only_chat = admin_client.get(f"/console/events/{event.pk}/", {"channel": "chat"})
    assert {d.channel for d in only_chat.context["page"]} == {"chat"}
    both = admin_client.get(f"/console/events/{event.pk}/", {"channel": "chat", "status": "failed"})
    assert [d.subscriber_id for d in both.context["page"]] == [people["discord off"].pk]
    assert admin_client.get(f"/console/events/{event.pk}/", {"channel": "pigeon"}).status_code == 400
