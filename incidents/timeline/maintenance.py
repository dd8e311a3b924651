"""Scheduled maintenance: announce a window, then start and complete it on time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    Component,
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
    """Start and complete automatic maintenance windows whose times have come."""
    now = now or timezone.now()
    due = Incident.objects.filter(kind=IncidentKind.MAINTENANCE, auto_transition=True, is_published=True)
    started = completed = 0
    for incident in due.filter(status=IncidentStatus.SCHEDULED, scheduled_for__lte=now):
        post_update(incident, IncidentStatus.IN_PROGRESS, "Scheduled maintenance is in progress.")
        started += 1
    for incident in due.filter(status__in=ACTIVE_MAINTENANCE_STATUSES, scheduled_until__lte=now):
        post_update(incident, IncidentStatus.COMPLETED, "Scheduled maintenance has been completed.")
        completed += 1
    return {"started": started, "completed": completed}
