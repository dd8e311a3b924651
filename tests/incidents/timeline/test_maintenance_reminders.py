"""Beat reminds subscribers of a maintenance window before it starts: once per start, never for drafts."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import Event, EventKind, Impact, Incident, IncidentKind, IncidentStatus
from incidents.timeline import maintenance
from incidents.timeline.incident_lifecycle import edit_incident, open_incident
from incidents.timeline.maintenance import run_maintenance_schedule, schedule_maintenance


@pytest.fixture(autouse=True)
def reminder_hour(settings):
    settings.MAINTENANCE_REMINDER_MINUTES = 60


def schedule(component, start_in: timedelta, hours: int = 2) -> Incident:
    start = timezone.now() + start_in
    return schedule_maintenance(
        "Database upgrade", "We upgrade the primary.", [component], start, start + timedelta(hours=hours)
    )


def reminders(incident: Incident | None = None) -> list[Event]:
    events = Event.objects.filter(kind=EventKind.MAINTENANCE_REMINDER).order_by("id")
    return list(events.filter(incident=incident) if incident else events)


def beat(now: datetime | None = None) -> int:
    """Run what beat runs every minute; return how many reminders it recorded."""
    before = len(reminders())
    run_maintenance_schedule(now)
    return len(reminders()) - before


def before_start(incident: Incident, minutes: int) -> datetime:
    return incident.scheduled_for - timedelta(minutes=minutes)


@pytest.mark.django_db
def test_a_reminder_is_recorded_once_when_the_window_is_an_hour_away(component):
    window = schedule(component, timedelta(hours=3))

    assert beat(before_start(window, 90)) == 0
    assert reminders() == []

    assert beat(before_start(window, 30)) == 1
    assert beat(before_start(window, 29)) == 0
    assert beat(before_start(window, 1)) == 0

    [reminder] = reminders(window)
    assert reminder.data["scheduled_for"] == window.scheduled_for.isoformat()
    window.refresh_from_db()
    assert window.reminded_for == window.scheduled_for
    assert window.status == IncidentStatus.SCHEDULED  # a reminder changes nothing public


@pytest.mark.django_db
def test_a_draft_maintenance_is_never_reminded(component):
    start = timezone.now() + timedelta(hours=3)
    draft = open_incident(
        Incident(
            kind=IncidentKind.MAINTENANCE,
            name="Quiet upgrade",
            status=IncidentStatus.SCHEDULED,
            impact=Impact.NONE,
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=1),
            is_published=False,
        ),
        "Not announced yet.",
        components=[component],
    )

    run_maintenance_schedule(before_start(draft, 30))

    assert reminders() == []


@pytest.mark.django_db
def test_a_window_announced_inside_the_reminder_time_gets_no_reminder(component):
    soon = schedule(component, timedelta(minutes=40))

    assert beat() == 0
    assert beat(before_start(soon, 10)) == 0

    assert reminders() == []


@pytest.mark.django_db
def test_a_window_that_has_started_is_not_reminded_late(component):
    window = schedule(component, timedelta(hours=3))

    outcome = run_maintenance_schedule(window.scheduled_for + timedelta(minutes=1))

    assert outcome == {"started": 1, "completed": 0}
    assert reminders() == []


@pytest.mark.django_db
def test_no_reminders_when_the_reminder_time_is_zero(component, settings):
    settings.MAINTENANCE_REMINDER_MINUTES = 0
    window = schedule(component, timedelta(hours=3))

    run_maintenance_schedule(before_start(window, 1))

    assert reminders() == []


@pytest.mark.django_db
def test_a_window_moved_to_a_later_start_is_reminded_again_for_the_new_start(component):
    window = schedule(component, timedelta(hours=3))
    run_maintenance_schedule(before_start(window, 30))
    first_start = window.scheduled_for

    later = first_start + timedelta(hours=2)
    edit_incident(window, {"scheduled_for": later, "scheduled_until": later + timedelta(hours=2)}, actor=None)
    window.refresh_from_db()

    assert beat(first_start - timedelta(minutes=10)) == 0  # 2h10 ahead now
    assert beat(before_start(window, 45)) == 1
    assert beat(before_start(window, 44)) == 0

    first, second = reminders(window)
    assert first.data["scheduled_for"] == first_start.isoformat()
    assert second.data["scheduled_for"] == later.isoformat()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_beats_running_at_once_record_one_reminder(component, monkeypatch):
    from notifications.delivery import receivers

    monkeypatch.setattr(receivers, "enqueue_safely", lambda *args: None)  # no broker in this test
    window = schedule(component, timedelta(hours=3))
    now = before_start(window, 30)
    # Both runs find the window before either claims it: the claim alone must keep it to one.
    found = threading.Barrier(2)
    claim = maintenance._remind

    def remind_after_both_found(pk, scheduled_for):
        found.wait(timeout=10)
        claimed = claim(pk, scheduled_for)
        outcomes.append(claimed)
        return claimed

    monkeypatch.setattr(maintenance, "_remind", remind_after_both_found)
    outcomes: list[bool] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_maintenance_schedule(now)
        except BaseException as exc:  # noqa: BLE001 (re-raised in the main thread)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    assert sorted(outcomes) == [False, True]
    assert len(reminders(window)) == 1
