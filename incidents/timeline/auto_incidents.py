"""Incidents opened by monitoring: a confirmed major outage opens one, by way of the event log."""

from __future__ import annotations

from incidents.models import (
    UNRESOLVED_STATUSES,
    Component,
    ComponentStatus,
    Event,
    EventKind,
    Impact,
    Incident,
    IncidentStatus,
)
from incidents.timeline.incident_lifecycle import open_incident


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
