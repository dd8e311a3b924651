"""Incidents monitoring opens and closes: a confirmed major outage opens one (by way of the event
log), and it resolves itself once its components have stayed operational for a while."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.models import (
    UNRESOLVED_STATUSES,
    Component,
    ComponentStatus,
    Event,
    EventKind,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    StatusPeriod,
)
from incidents.monitoring.uptime_math import format_duration
from incidents.timeline.incident_lifecycle import open_incident, post_update


def open_auto_incident(component: Component) -> Incident | None:
    """Open an incident for a confirmed major outage, unless one is already open for it."""
    if not component.auto_incident:
        return None
    if component.incidents.filter(status__in=UNRESOLVED_STATUSES).exists():
        return None
    incident = Incident(
        name=f"{component.name} is down",
        status=IncidentStatus.INVESTIGATING,
        impact=Impact.CRITICAL,
        is_published=component.auto_publish,
        auto_created=True,
    )
    body = f"Our monitoring shows that {component.name} is not responding. We are investigating."
    return open_incident(incident, body, components=[component])


def on_event(event: Event, **kwargs) -> None:
    """Monitoring confirmed a major outage: open its incident in the same transaction."""
    if event.kind != EventKind.COMPONENT_STATUS_CHANGED:
        return
    data = event.data or {}
    if data.get("automatic") and data.get("to") == ComponentStatus.MAJOR_OUTAGE:
        open_auto_incident(event.component)


def resolve_recovered(now: datetime | None = None) -> list[int]:
    """Resolve auto-created incidents whose components have all stayed operational long enough.

    One a person has posted an update to is theirs to close. Returns the resolved ids.
    """
    now = now or timezone.now()
    open_auto = Incident.objects.filter(
        auto_created=True, kind=IncidentKind.INCIDENT, status__in=UNRESOLVED_STATUSES
    ).exclude(updates__created_by__isnull=False)
    resolved = []
    for incident_id in open_auto.values_list("pk", flat=True):
        with transaction.atomic():
            # Checked again under the lock: a person may have posted an update meanwhile.
            incident = Incident.objects.select_for_update().filter(pk=incident_id).first()
            taken = incident is None or incident.updates.filter(created_by__isnull=False).exists()
            open_ = incident is not None and incident.status in UNRESOLVED_STATUSES
            body = open_ and not taken and _recovery_note(incident, now)
            if body:
                post_update(incident, IncidentStatus.RESOLVED, body)
                resolved.append(incident.pk)
    return resolved


def _recovery_note(incident: Incident, now: datetime) -> str | None:
    """The resolving update's text, or None while any component is down or recovered too recently."""
    components = list(incident.components.all())
    if not components or any(c.status != ComponentStatus.OPERATIONAL for c in components):
        return None
    periods = StatusPeriod.objects.filter(component__in=components)
    recovered_at = (
        periods.filter(ended_at__isnull=True)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
        or incident.created_at
    )
    if now - recovered_at < timedelta(seconds=settings.AUTO_RESOLVE_AFTER_SECONDS):
        return None
    # The outage began with the last non-operational period that was open when the incident opened.
    down_since = (
        periods.filter(started_at__lte=incident.created_at)
        .exclude(status=ComponentStatus.OPERATIONAL)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    ) or incident.created_at
    names = ", ".join(c.name for c in components)
    local = timezone.localtime(recovered_at)
    seconds = (recovered_at - down_since).total_seconds()
    down_for = format_duration(seconds) if seconds >= 60 else "less than a minute"
    return (
        f"{names} recovered at {local:%H:%M} {local.tzname()} on {local:%b %-d} after {down_for} of outage "
        "and has been operational since. This incident was resolved automatically by monitoring."
    )
