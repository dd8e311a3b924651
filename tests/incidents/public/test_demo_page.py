"""`seed_demo` gives a newcomer a page that looks real: 90 coloured days, a history, a chart."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from incidents.models import (
    Component,
    Event,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentUpdate,
    ProbeResult,
    StatusPeriod,
    UptimeDay,
)
from notifications.delivery.fanout import fan_out
from notifications.models import Delivery, Subscriber

pytestmark = pytest.mark.django_db


def seed() -> None:
    call_command("seed_demo", stdout=io.StringIO())


def counts() -> dict[str, int]:
    models = (Component, Incident, IncidentUpdate, Event, UptimeDay, ProbeResult, StatusPeriod, Subscriber)
    return {model.__name__: model.objects.count() for model in models}


def bar_blocks(html: str) -> list[list[tuple[str, str]]]:
    blocks = re.findall(r'<div class="bars"[^>]*>(.*?)</div>', html, re.S)
    return [re.findall(r'<span class="(\w+)" title="([^"]*)"></span>', block) for block in blocks]


def test_seeding_twice_adds_nothing_the_second_time():
    seed()
    first = counts()
    seed()

    assert counts() == first
    assert first["Component"] == 6
    assert first["UptimeDay"] == 6 * 90


def test_every_day_of_every_bar_is_coloured_and_some_show_outages(client):
    seed()

    blocks = bar_blocks(client.get("/").text)

    assert len(blocks) == 6
    levels = [level for block in blocks for level, _ in block]
    assert len(levels) == 6 * 90
    assert "nodata" not in levels
    assert {"major", "partial", "degraded"} <= set(levels)
    assert levels.count("ok") > 6 * 80
    titles = [title for block in blocks for _, title in block]
    assert any(re.search(r": 9\d\.\d\d% uptime, \d+ (h|min)", title) for title in titles)
    assert any(title.endswith(", 45 min maintenance") for title in titles)


def test_the_history_has_resolved_incidents_with_updates_a_postmortem_and_a_completed_maintenance(client):
    seed()
    now = timezone.now()

    incidents = Incident.objects.filter(kind=IncidentKind.INCIDENT)
    assert incidents.count() >= 3
    assert all(i.created_at < now - timedelta(days=1) and i.resolved_at for i in incidents)
    assert all(i.updates.count() >= 2 for i in incidents)
    assert incidents.filter(status=IncidentStatus.POSTMORTEM).exclude(postmortem_body="").exists()
    done = Incident.objects.get(kind=IncidentKind.MAINTENANCE, status=IncidentStatus.COMPLETED)
    assert done.scheduled_for < now and done.components.exists()
    upcoming = Incident.objects.get(kind=IncidentKind.MAINTENANCE, status=IncidentStatus.SCHEDULED)
    assert now < upcoming.scheduled_for < now + timedelta(days=7)

    history = client.get("/history/").text
    for incident in incidents:
        assert incident.name in history
    assert done.name in history
    assert upcoming.name in client.get("/").text


def test_the_backdated_history_notifies_nobody():
    seed()
    assert Subscriber.objects.filter(email_confirmed_at__isnull=False).exists()

    events = list(Event.objects.all())
    assert events
    for event in events:
        fan_out(event.pk, enqueue=lambda ids: pytest.fail(f"enqueued {ids}"))

    assert not Delivery.objects.exists()
    # Each event carries the moment it happened, not the moment the demo was loaded.
    assert all(e.created_at < timezone.now() - timedelta(hours=12) for e in events)


def test_the_components_look_operational_now_and_the_history_did_not_change_them():
    seed()

    assert set(Component.objects.values_list("status", flat=True)) == {"operational"}
    assert not Component.objects.filter(in_maintenance=True).exists()
    assert not Event.objects.filter(component__isnull=False).exists()


def test_each_push_probe_has_a_plausible_last_day_of_latency_for_the_chart(client):
    seed()
    api = Component.objects.get(name="Public API")

    text = client.get(f"/components/{api.pk}/").text

    svg = re.search(r"<svg\b.*?</svg>", text, re.S).group(0)
    labels = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert labels[0] == "0 ms" and labels[-1] == "now" and "12 h ago" in labels
    assert re.findall(r"<title>([^<]+)</title>", svg) == ["eu-west", "us-east"]
    for location in ("eu-west", "us-east"):
        latencies = list(
            ProbeResult.objects.filter(probe__component=api, location=location).values_list(
                "latency_ms", flat=True
            )
        )
        assert len(latencies) == 24 * 12
        assert 40 < sorted(latencies)[len(latencies) // 2] < 250
