"""Scheduled maintenance: announce a window, remind subscribers before it, start and complete it on time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from incidents.event_log import record_event
from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    Component,
    Event,
    EventKind,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
)
from incidents.timeline.incident_lifecycle import open_incident, post_update


def schedule_maintenance(
    name: str,
    body: str,
    components: Iterable[Component],
    scheduled_for: datetime,
    scheduled_until: datetime,
    *,
    auto_transition: bool = True,
    actor=None,
) -> Incident:
    """Announce a maintenance window (subscribers hear of it at once)."""
    incident = Incident(
        kind=IncidentKind.MAINTENANCE,
        name=name,
        status=IncidentStatus.SCHEDULED,
        impact=Impact.NONE,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        auto_transition=auto_transition,
    )
    return open_incident(incident, body, components=components, actor=actor)


def run_maintenance_schedule(now: datetime | None = None) -> dict[str, int]:
    """Remind subscribers of windows about to start; start and complete automatic windows on time."""
    now = now or timezone.now()
    remind_upcoming(now)
    due = Incident.objects.filter(kind=IncidentKind.MAINTENANCE, auto_transition=True, is_published=True)
    started = completed = 0
    for incident in due.filter(status=IncidentStatus.SCHEDULED, scheduled_for__lte=now):
        post_update(incident, IncidentStatus.IN_PROGRESS, "Scheduled maintenance is in progress.")
        started += 1
    for incident in due.filter(status__in=ACTIVE_MAINTENANCE_STATUSES, scheduled_until__lte=now):
        post_update(incident, IncidentStatus.COMPLETED, "Scheduled maintenance has been completed.")
        completed += 1
    return {"started": started, "completed": completed}


def remind_upcoming(now: datetime) -> int:
    """Record one maintenance.reminder per start of each published window due within the reminder time.

    A window announced less than the reminder time before its start gets none: its "scheduled"
    message just went out. A window moved to another start is reminded again, for the new start.
    """
    minutes = settings.MAINTENANCE_REMINDER_MINUTES
    if minutes <= 0:
        return 0
    ahead = timedelta(minutes=minutes)
    announced_late = Event.objects.filter(
        incident=OuterRef("pk"),
        kind=EventKind.MAINTENANCE_SCHEDULED,
        created_at__gt=OuterRef("scheduled_for") - ahead,
    )
    due = (
        Incident.objects.filter(
            kind=IncidentKind.MAINTENANCE,
            status=IncidentStatus.SCHEDULED,
            is_published=True,
            scheduled_for__gt=now,
            scheduled_for__lte=now + ahead,
        )
        .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("scheduled_for")))
        .exclude(Exists(announced_late))
        .values_list("pk", "scheduled_for")
    )
    return sum(_remind(pk, scheduled_for) for pk, scheduled_for in due)


@transaction.atomic
def _remind(pk: int, scheduled_for: datetime) -> bool:
    """Claim the reminder for this start with a conditional UPDATE, then record it: once, even in a race."""
    claimed = (
        Incident.objects.filter(
            pk=pk, status=IncidentStatus.SCHEDULED, is_published=True, scheduled_for=scheduled_for
        )
        .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("scheduled_for")))
        .update(reminded_for=scheduled_for)
    )
    if not claimed:
        return False  # another run reminded it, or it moved, started or was withdrawn meanwhile
    incident = Incident.objects.get(pk=pk)
    record_event(
        EventKind.MAINTENANCE_REMINDER,
        incident=incident,
        data={
            "scheduled_for": scheduled_for.isoformat(),
            "minutes_before": settings.MAINTENANCE_REMINDER_MINUTES,
        },
    )
    return True
