"""Incidents, scheduled maintenance and their timelines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    STATUS_SEVERITY,
    UNRESOLVED_STATUSES,
    Component,
    ComponentStatus,
    EventKind,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentUpdate,
)
from incidents.timeline.audit import audit, snapshot
from incidents.events import record_event

AUDITED = ["name", "status", "impact", "is_published", "scheduled_for", "scheduled_until"]
IMPACT_BY_STATUS = {
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.DEGRADED: Impact.MINOR,
}
MAINTENANCE_EVENTS = {
    IncidentStatus.SCHEDULED: EventKind.MAINTENANCE_SCHEDULED,
    IncidentStatus.IN_PROGRESS: EventKind.MAINTENANCE_STARTED,
    IncidentStatus.COMPLETED: EventKind.MAINTENANCE_COMPLETED,
}


def default_impact(component_statuses: Mapping[int, str]) -> str:
    """The impact the affected components' statuses suggest; staff may override it."""
    worst = max(component_statuses.values(), key=STATUS_SEVERITY.get, default=ComponentStatus.OPERATIONAL)
    return IMPACT_BY_STATUS.get(worst, Impact.NONE)


def _event_kind(incident: Incident, status: str, first: bool) -> str | None:
    if incident.kind == IncidentKind.MAINTENANCE:
        return MAINTENANCE_EVENTS.get(status)
    if first:
        return EventKind.INCIDENT_CREATED
    return EventKind.INCIDENT_RESOLVED if status == IncidentStatus.RESOLVED else EventKind.INCIDENT_UPDATED


@transaction.atomic
def open_incident(
    incident: Incident,
    body: str,
    components: Iterable[Component] = (),
    *,
    component_statuses: Mapping[int, str] | None = None,
    actor=None,
) -> Incident:
    """Save a new incident or maintenance (fields set by the caller) with its first update.

    A draft (is_published=False) records no event until it is published.
    """
    components = list(components)
    incident.save()
    incident.components.set(components)
    _create_update(incident, incident.status, body, component_statuses or {}, actor, first=True)
    audit(actor, f"{incident.kind}.declared", incident, None, snapshot(incident, AUDITED))
    return incident


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


@transaction.atomic
def post_update(
    incident: Incident,
    status: str,
    body: str,
    *,
    component_statuses: Mapping[int, str] | None = None,
    actor=None,
) -> IncidentUpdate:
    """Add an update to the timeline, move the incident to its status, set component statuses."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    before = snapshot(incident, AUDITED)
    incident.status = status
    update = _create_update(incident, status, body, component_statuses or {}, actor, first=False)
    audit(actor, f"{incident.kind}.updated", incident, before, snapshot(incident, AUDITED))
    return update


def _create_update(incident, status, body, component_statuses, actor, *, first) -> IncidentUpdate:
    from incidents.services.status import restore_components, set_component_status

    affected = []
    targets = {c.pk: c for c in Component.objects.select_for_update().filter(pk__in=list(component_statuses))}
    for component_id, new_status in component_statuses.items():
        component = targets.get(int(component_id))
        if component is None:
            continue
        affected.append(
            {
                "code": str(component.pk),
                "name": component.name,
                "old_status": component.status,
                "new_status": new_status,
            }
        )
        set_component_status(component, new_status)
    update = IncidentUpdate.objects.create(
        incident=incident, status=status, body=body, affected_components=affected, created_by=actor
    )
    now = timezone.now()
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = now
    if status in (IncidentStatus.RESOLVED, IncidentStatus.COMPLETED) and incident.resolved_at is None:
        incident.resolved_at = now
    incident.save()
    if incident.kind == IncidentKind.MAINTENANCE:
        _apply_maintenance(incident, status)
    elif status == IncidentStatus.RESOLVED:
        restore_components(incident.components.exclude(pk__in=[int(k) for k in component_statuses]))
    if incident.is_published:
        kind = _event_kind(incident, status, first)
        if kind:
            record_event(kind, incident=incident, incident_update=update)
    return update


def _apply_maintenance(incident: Incident, status: str) -> None:
    """Components are under maintenance while it is in progress or being verified."""
    from incidents.services.status import evaluate_component

    active = status in ACTIVE_MAINTENANCE_STATUSES
    for component in incident.components.select_for_update():
        if component.in_maintenance != active:
            Component.objects.filter(pk=component.pk).update(in_maintenance=active)
            evaluate_component(component.pk)


@transaction.atomic
def publish_incident(incident: Incident, actor=None) -> bool:
    """Publish a draft and notify; return False if it was already public."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.is_published:
        return False
    incident.is_published = True
    incident.save(update_fields=["is_published", "updated_at"])
    first = incident.updates.order_by("created_at", "id").first()
    record_event(_event_kind(incident, first.status, True), incident=incident, incident_update=first)
    audit(actor, f"{incident.kind}.published", incident, {"is_published": False}, {"is_published": True})
    return True


@transaction.atomic
def publish_postmortem(incident: Incident, body: str, actor=None) -> Incident:
    """Publish (or revise) a resolved incident's postmortem; the incident moves to 'postmortem'."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    before = snapshot(incident, [*AUDITED, "postmortem_body"])
    incident.postmortem_body = body
    incident.postmortem_published_at = incident.postmortem_published_at or timezone.now()
    incident.status = IncidentStatus.POSTMORTEM
    incident.save()
    audit(actor, "incident.postmortem", incident, before, snapshot(incident, [*AUDITED, "postmortem_body"]))
    return incident


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
