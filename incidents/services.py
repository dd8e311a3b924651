"""The only place that changes incident and component state; each change writes its Event."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents.models import (
    Component,
    ComponentStatus,
    Event,
    EventKind,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Probe,
    ProbeResult,
)
from incidents.signals import event_recorded


@dataclass(frozen=True)
class Observation:
    ok: bool
    observed_at: datetime
    latency_ms: float | None = None
    location: str = ""
    message: str = ""


def record_event(kind: str, **fields) -> Event:
    """Write an Event in the caller's transaction and tell listeners about it."""
    event = Event.objects.create(kind=kind, **fields)
    event_recorded.send(sender=Event, event=event)
    return event


def set_component_status(component: Component, status: str) -> bool:
    """Change a component's status, recording the change; return whether it changed."""
    if component.status == status:
        return False
    previous = component.status
    component.status = status
    component.save(update_fields=["status", "updated_at"])
    record_event(
        EventKind.COMPONENT_STATUS_CHANGED,
        component=component,
        data={"from": previous, "to": status},
    )
    return True


@transaction.atomic
def record_results(probe_id: int, observations: Sequence[Observation]) -> list[ProbeResult]:
    """Store a probe's results and move its component down or up once confirmed."""
    # Row lock: concurrent pushes for one probe must see each other's counters.
    probe = Probe.objects.select_for_update().select_related("component").get(pk=probe_id)
    ordered = sorted(observations, key=lambda o: o.observed_at)
    rows = ProbeResult.objects.bulk_create(
        [
            ProbeResult(
                probe=probe,
                ok=o.ok,
                latency_ms=o.latency_ms,
                location=o.location,
                observed_at=o.observed_at,
                message=o.message,
            )
            for o in ordered
        ]
    )
    for o in ordered:
        if o.ok:
            probe.consecutive_successes += 1
            probe.consecutive_failures = 0
            if probe.is_down and probe.consecutive_successes >= probe.success_threshold:
                probe.is_down = False
        else:
            probe.consecutive_failures += 1
            probe.consecutive_successes = 0
            if not probe.is_down and probe.consecutive_failures >= probe.failure_threshold:
                probe.is_down = True
    if ordered:
        latest = ordered[-1].observed_at
        probe.last_result_at = max(filter(None, [probe.last_result_at, latest]))
    probe.save(
        update_fields=[
            "consecutive_failures",
            "consecutive_successes",
            "is_down",
            "last_result_at",
        ]
    )
    _evaluate_component(probe.component)
    return rows


def _evaluate_component(component: Component) -> None:
    component = Component.objects.select_for_update().get(pk=component.pk)
    any_down = component.probes.filter(is_down=True).exists()
    if any_down:
        set_component_status(component, ComponentStatus.MAJOR_OUTAGE)
    elif component.status == ComponentStatus.MAJOR_OUTAGE:
        set_component_status(component, ComponentStatus.OPERATIONAL)


@transaction.atomic
def open_incident(incident: Incident, body: str, components: Iterable[Component] = ()) -> Incident:
    """Save a new incident (name, status, impact set by the caller) with its first update."""
    incident.save()
    incident.components.set(components)
    update = IncidentUpdate.objects.create(incident=incident, status=incident.status, body=body)
    _stamp_status_times(incident, incident.status)
    record_event(EventKind.INCIDENT_CREATED, incident=incident, incident_update=update)
    return incident


@transaction.atomic
def post_update(incident: Incident, status: str, body: str) -> IncidentUpdate:
    """Add an update to an incident's timeline and move the incident to its status."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    update = IncidentUpdate.objects.create(incident=incident, status=status, body=body)
    incident.status = status
    _stamp_status_times(incident, status)
    kind = EventKind.INCIDENT_RESOLVED if status == IncidentStatus.RESOLVED else EventKind.INCIDENT_UPDATED
    record_event(kind, incident=incident, incident_update=update)
    return update


def _stamp_status_times(incident: Incident, status: str) -> None:
    now = timezone.now()
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = now
    if status == IncidentStatus.RESOLVED and incident.resolved_at is None:
        incident.resolved_at = now
    incident.save()
