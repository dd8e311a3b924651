"""Webhook subscribers and their deliveries in the staff console: the list, the filters, the CSV export."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents.models import Event, EventKind
from notifications.models import Channel, Delivery, DeliveryStatus, Subscriber

pytestmark = pytest.mark.django_db

HOOK = "https://hooks.example.com/status/"


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_user("admin", password="pw-for-tests-only")
    user.groups.add(Group.objects.get(name="Admin"))
    client.force_login(user)
    return client


@pytest.fixture
def hooks() -> dict[str, Subscriber]:
    now = timezone.now()
    made = {
        "on": Subscriber.objects.create(
            email="on@example.com", webhook_url=HOOK + "on", webhook_confirmed_at=now
        ),
        "paused": Subscriber.objects.create(
            email="paused@example.com",
            webhook_url=HOOK + "paused",
            webhook_confirmed_at=now,
            webhook_suppressed_at=now,
            webhook_failures=10,
        ),
        "unconfirmed": Subscriber.objects.create(email="new@example.com", webhook_url=HOOK + "new"),
    }
    Subscriber.objects.create(email="reader@example.com", email_confirmed_at=now)
    return made


def test_the_export_ends_with_each_subscribers_webhook_and_its_state(admin_client, hooks):
    response = admin_client.get("/console/subscribers/export.csv")

    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert list(rows[0])[-6:-4] == ["webhook_url", "webhook_status"]  # then the chat and push columns
    assert len(rows) == 4  # one row per subscriber
    states = {row["email"]: (row["webhook_url"], row["webhook_status"]) for row in rows}
    assert states == {
        "on@example.com": (HOOK + "on", "on"),
        "paused@example.com": (HOOK + "paused", "paused"),
        "new@example.com": (HOOK + "new", "unconfirmed"),
        "reader@example.com": ("", ""),
    }


def test_the_list_shows_webhooks_and_filters_them_by_state_and_url(admin_client, hooks):
    page = admin_client.get("/console/subscribers/").content.decode()
    assert f"Webhook {HOOK}paused" in page and "paused after 10 failures" in page

    def shown(**query) -> set[str]:
        response = admin_client.get("/console/subscribers/", query)
        return {s.email for s in response.context["page"]}

    assert shown(status="suppressed") == {"paused@example.com"}
    assert shown(status="confirmed") == {"on@example.com", "paused@example.com", "reader@example.com"}
    assert shown(status="unconfirmed") == {"new@example.com"}
    assert shown(q="hooks.example.com/status/on") == {"on@example.com"}


def test_webhook_deliveries_are_counted_and_listed_with_their_url(admin_client, hooks):
    event = Event.objects.create(kind=EventKind.INCIDENT_CREATED)
    for subscriber, status in ((hooks["on"], DeliveryStatus.SENT), (hooks["paused"], DeliveryStatus.FAILED)):
        Delivery.objects.create(event=event, subscriber=subscriber, channel=Channel.WEBHOOK, status=status)

    events = admin_client.get("/console/events/")
    (shown,) = [e for e in events.context["page"] if e.pk == event.pk]
    assert (shown.delivery_counts["sent"], shown.delivery_counts["failed"]) == (1, 1)
    detail = admin_client.get(f"/console/events/{event.pk}/").content.decode()
    assert HOOK + "on" in detail and HOOK + "paused" in detail
