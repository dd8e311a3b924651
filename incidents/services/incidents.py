"""Incidents and their timelines."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from incidents.models import (
    UNRESOLVED_STATUSES,
    Component,
    EventKind,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
)
from incidents.services.events import record_event


@transaction.atomic
def open_incident(incident: Incident, body: str, components: Iterable[Component] = ()) -> Incident:
    """Save a new incident (name, status, impact set by the caller) with its first update.

    A draft (is_published=False) records no event until it is published.
    """
    incident.save()
    incident.components.set(components)
    update = IncidentUpdate.objects.create(incident=incident, status=incident.status, body=body)
    _stamp_status_times(incident, incident.status)
    if incident.is_published:
        record_event(EventKind.INCIDENT_CREATED, incident=incident, incident_update=update)
    return incident


@transaction.atomic
def publish_incident(incident: Incident) -> bool:
    """Publish a draft and notify; return False if it was already public."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.is_published:
        return False
    incident.is_published = True
    incident.save(update_fields=["is_published", "updated_at"])
    first = incident.updates.order_by("created_at", "id").first()
    record_event(EventKind.INCIDENT_CREATED, incident=incident, incident_update=first)
    return True


@transaction.atomic
def post_update(incident: Incident, status: str, body: str) -> IncidentUpdate:
    """Add an update to an incident's timeline and move the incident to its status."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    update = IncidentUpdate.objects.create(incident=incident, status=status, body=body)
    incident.status = status
    _stamp_status_times(incident, status)
    if incident.is_published:
        kind = (
            EventKind.INCIDENT_RESOLVED if status == IncidentStatus.RESOLVED else EventKind.INCIDENT_UPDATED
        )
        record_event(kind, incident=incident, incident_update=update)
    return update


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


def _stamp_status_times(incident: Incident, status: str) -> None:
    now = timezone.now()
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = now
    if status == IncidentStatus.RESOLVED and incident.resolved_at is None:
        incident.resolved_at = now
    incident.save()
