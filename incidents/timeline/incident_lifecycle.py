"""Incidents and their timelines: declare, edit, update, resolve, publish, postmortem."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import transaction
from django.utils import timezone

from incidents.event_log import record_event
from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    Component,
    ComponentStatus,
    EventKind,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentUpdate,
    StatusPage,
    worst_status,
)
from incidents.monitoring.component_status import (
    evaluate_component,
    restore_components,
    set_component_status,
)
from incidents.timeline.audit import audit, snapshot

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
# In a title or message, replaced by the affected components' names (incident templates use it).
COMPONENTS_PLACEHOLDER = "{components}"


def default_impact(component_statuses: Mapping[int, str]) -> str:
    """The impact the affected components' statuses suggest; staff may override it."""
    return IMPACT_BY_STATUS.get(worst_status(component_statuses.values()), Impact.NONE)


def declare_incident(
    name: str,
    body: str,
    status: str,
    component_statuses: Mapping[int, str],
    *,
    impact: str | None = None,
    publish: bool = True,
    components: Iterable[Component] = (),
    pages: Iterable[StatusPage] = (),
    actor=None,
) -> Incident:
    """Declare an incident: the affected components (those given a status, plus any others named).

    A blank impact comes from the worst new status; {components} becomes their names. `pages`: the
    pages it is attached to besides those of its components (how a general incident finds its pages).
    """
    affected = {c.pk: c for c in components}
    affected.update((c.pk, c) for c in Component.objects.filter(pk__in=list(component_statuses)))
    ordered = sorted(affected.values(), key=lambda c: (c.position, c.name))
    names = ", ".join(c.name for c in ordered)
    incident = Incident(
        kind=IncidentKind.INCIDENT,
        name=name.replace(COMPONENTS_PLACEHOLDER, names),
        status=status,
        impact=impact or default_impact(component_statuses),
        is_published=publish,
    )
    body = body.replace(COMPONENTS_PLACEHOLDER, names)
    return open_incident(
        incident, body, ordered, component_statuses=component_statuses, pages=pages, actor=actor
    )


@transaction.atomic
def open_incident(
    incident: Incident,
    body: str,
    components: Iterable[Component] = (),
    *,
    component_statuses: Mapping[int, str] | None = None,
    pages: Iterable[StatusPage] = (),
    actor=None,
) -> Incident:
    """Save a new incident or maintenance (fields set by the caller) with its first update.

    A draft (is_published=False) records no event until it is published.
    """
    incident.save()
    incident.components.set(list(components))
    incident.pages.set(list(pages))  # before the first update's event: its fan-out reads the pages
    _create_update(incident, incident.status, body, component_statuses or {}, actor, first=True)
    audit(actor, f"{incident.kind}.declared", incident, None, _audited(incident))
    return incident


@transaction.atomic
def edit_incident(incident: Incident, changes: Mapping, actor) -> bool:
    """Change fields that need no update of their own (name, impact, components, pages); audit it."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    before = _audited(incident)
    components, pages = changes.get("components"), changes.get("pages")
    related = ("components", "pages")
    fields = [f for f, value in changes.items() if f not in related and getattr(incident, f) != value]
    for field in fields:
        setattr(incident, field, changes[field])
    moved = components is not None and {c.pk for c in components} != set(
        incident.components.values_list("pk", flat=True)
    )
    repaged = pages is not None and {p.pk for p in pages} != set(incident.pages.values_list("pk", flat=True))
    if not fields and not moved and not repaged:
        return False
    incident.save(update_fields=[*fields, "updated_at"])
    if moved:
        incident.components.set(list(components))
    if repaged:
        incident.pages.set(list(pages))
    audit(actor, f"{incident.kind}.edited", incident, before, _audited(incident))
    return True


def _audited(incident: Incident) -> dict:
    """The audited fields and, when it has any, the pages it is attached to."""
    data = snapshot(incident, AUDITED)
    pages = sorted(incident.pages.values_list("slug", flat=True))
    return {**data, "pages": pages} if pages else data


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


def _event_kind(incident: Incident, status: str, first: bool) -> str | None:
    if incident.kind == IncidentKind.MAINTENANCE:
        return MAINTENANCE_EVENTS.get(status)
    if first:
        return EventKind.INCIDENT_CREATED
    return EventKind.INCIDENT_RESOLVED if status == IncidentStatus.RESOLVED else EventKind.INCIDENT_UPDATED


def _create_update(incident, status, body, component_statuses, actor, *, first) -> IncidentUpdate:
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
        if incident.is_published:  # a draft's statuses wait for its publication
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
    if not incident.is_published:
        return update  # a draft changes nothing public
    if incident.kind == IncidentKind.MAINTENANCE:
        _apply_maintenance(incident, status)
    elif status == IncidentStatus.RESOLVED:
        restore_components(incident.components.exclude(pk__in=[int(k) for k in component_statuses]))
    kind = _event_kind(incident, status, first)
    if kind:
        record_event(kind, incident=incident, incident_update=update)
    return update


def _apply_maintenance(incident: Incident, status: str) -> None:
    """Components are under maintenance while it is in progress or being verified."""
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
    _apply_draft_statuses(incident)
    first = incident.updates.order_by("created_at", "id").first()
    record_event(_event_kind(incident, first.status, True), incident=incident, incident_update=first)
    audit(actor, f"{incident.kind}.published", incident, {"is_published": False}, {"is_published": True})
    return True


def _apply_draft_statuses(incident: Incident) -> None:
    """Set the component statuses a draft's updates asked for, now that it is public."""
    if incident.status == IncidentStatus.RESOLVED:
        restore_components(incident.components.all())
        return
    wanted = {}
    for update in incident.updates.order_by("created_at", "id"):
        wanted.update((int(row.code), row.new_status) for row in update.affected if row.code.isdigit())
    for component in Component.objects.select_for_update().filter(pk__in=list(wanted)):
        set_component_status(component, wanted[component.pk])


@transaction.atomic
def publish_postmortem(incident: Incident, body: str, actor=None) -> Incident:
    """Publish (or revise) a resolved incident's postmortem; the incident moves to 'postmortem'."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    before = snapshot(incident, [*AUDITED, "postmortem_body"])
    first = incident.postmortem_published_at is None
    incident.postmortem_body = body
    incident.postmortem_published_at = incident.postmortem_published_at or timezone.now()
    incident.status = IncidentStatus.POSTMORTEM
    incident.save()
    if first and incident.is_published:  # later edits revise it quietly; a draft notifies nobody
        record_event(EventKind.INCIDENT_POSTMORTEM, incident=incident)
    audit(actor, "incident.postmortem", incident, before, snapshot(incident, [*AUDITED, "postmortem_body"]))
    return incident
