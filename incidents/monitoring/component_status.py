"""Component status: results in, confirmed status out, every change as a period and an event."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents.event_log import record_event
from incidents.models import (
    Component,
    ComponentStatus,
    EventKind,
    ExternalAlert,
    Probe,
    ProbeKind,
    ProbeLocationState,
    ProbeResult,
    StatusPeriod,
    worst_status,
)
from incidents.monitoring import evaluation
from incidents.monitoring.rollups import credit_uptime

DEFAULT_LOCATION = "default"
# Rollups are brought up to date on a result at most this often (and every minute by beat).
CREDIT_EVERY = timedelta(seconds=60)
LAST_RESULT_GRAIN = timedelta(seconds=5)
PROBE_FIELDS = (
    "id",
    "component_id",
    "kind",
    "failure_threshold",
    "success_threshold",
    "degraded_latency_ms",
    "interval_seconds",
    "last_result_at",
)


@dataclass(frozen=True)
class Observation:
    ok: bool
    observed_at: datetime
    latency_ms: float | None = None
    location: str = ""
    message: str = ""


def thresholds(probe: Probe) -> evaluation.Thresholds:
    # A missed heartbeat is already a confirmed absence: one is enough.
    failures = 1 if probe.kind == ProbeKind.HEARTBEAT else probe.failure_threshold
    return evaluation.Thresholds(
        failures=failures,
        successes=probe.success_threshold,
        degraded_latency_ms=probe.degraded_latency_ms,
    )


@transaction.atomic
def record_results(probe_id: int, observations: Sequence[Observation]) -> list[ProbeResult]:
    """Store a probe's results, advance each location's counters, and re-evaluate the component."""
    # Row lock: concurrent pushes for one probe must see each other's counters.
    probe = (
        Probe.objects.select_for_update(of=("self",))
        .select_related("component")
        .only(*PROBE_FIELDS, "component__accounted_until")
        .get(pk=probe_id)
    )
    # Credit the time before these results first, so a gap in reporting counts as no data.
    # The component row is locked only then (or on a status change), not on every result.
    now = timezone.now()
    accounted = probe.component.accounted_until
    if accounted is None or now - accounted > CREDIT_EVERY:
        credit_uptime(Component.objects.select_for_update().get(pk=probe.component_id), now)
    ordered = sorted(observations, key=lambda o: o.observed_at)
    rows = ProbeResult.objects.bulk_create(
        [
            ProbeResult(
                probe=probe,
                ok=o.ok,
                latency_ms=o.latency_ms,
                location=o.location or DEFAULT_LOCATION,
                observed_at=o.observed_at,
                message=o.message,
            )
            for o in ordered
        ]
    )
    # Every location of the probe (a handful): one that fell silent may have to stop counting.
    states = {s.location: s for s in ProbeLocationState.objects.filter(probe=probe)}
    rules = thresholds(probe)
    flips = 0
    for o in ordered:
        location = o.location or DEFAULT_LOCATION
        state = states.get(location)
        if state is None:
            state = states[location] = ProbeLocationState(
                probe=probe, location=location, last_result_at=o.observed_at
            )
        counters = evaluation.LocationCounters(
            state.consecutive_failures, state.consecutive_successes, state.is_down, state.is_slow
        )
        evaluation.apply_result(counters, o.ok, o.latency_ms, rules)
        flipped = (counters.is_down, counters.is_slow) != (state.is_down, state.is_slow)
        state.consecutive_failures = counters.consecutive_failures
        state.consecutive_successes = counters.consecutive_successes
        state.is_down, state.is_slow = counters.is_down, counters.is_slow
        # A late result from the past never overwrites a newer one's latency or message.
        if o.observed_at >= state.last_result_at:
            state.last_result_at = o.observed_at
            state.last_latency_ms = o.latency_ms
            state.last_message = o.message
        if flipped:
            flips += 1
            if flips == 1:
                # The first change is recorded at once (an outage confirmed and recovered within
                # one batch is still recorded); later flips settle into one evaluation at the end,
                # so a flapping batch is one episode, not a change per flip.
                state.save()
                evaluate_component(probe.component_id)
    for location in {o.location or DEFAULT_LOCATION for o in ordered}:
        states[location].save()  # only the locations this batch reported from changed
    if flips > 1 or _went_silent(probe, states.values()):
        evaluate_component(probe.component_id)
    if ordered:
        latest = ordered[-1].observed_at
        # Coarse on purpose: it only sets the no-data horizon (minutes), so skip most writes.
        if probe.last_result_at is None or latest - probe.last_result_at >= LAST_RESULT_GRAIN:
            Probe.objects.filter(pk=probe.pk).update(last_result_at=latest)
    return rows


def _went_silent(probe: Probe, states) -> bool:
    """Did a location holding the probe down or slow just fall silent behind the others?"""
    horizon = evaluation.vouch_horizon(probe.interval_seconds)
    newest = max(s.last_result_at for s in states)
    before = probe.last_result_at or newest  # the newest result before this batch (coarse)
    return any(
        (s.is_down or s.is_slow) and newest - horizon > s.last_result_at >= before - horizon for s in states
    )


def evaluate_component(component_id: int, now: datetime | None = None) -> str:
    """Set a component's status from its probes and firing alerts; maintenance overrides both."""
    now = now or timezone.now()
    component = Component.objects.select_for_update().get(pk=component_id)
    if component.in_maintenance:
        status = ComponentStatus.MAINTENANCE
    else:
        status = worst_status([*_probe_statuses(component), *_alert_statuses(component)])
    set_component_status(component, status, now=now, automatic=True)
    return status


def _probe_statuses(component: Component) -> list[str]:
    states: dict[int, list] = defaultdict(list)
    probes = {
        pk: (quorum, evaluation.vouch_horizon(interval))
        for pk, quorum, interval in component.probes.filter(is_active=True)
        .order_by()
        .values_list("pk", "quorum", "interval_seconds")
    }
    for s in ProbeLocationState.objects.filter(probe_id__in=list(probes)):
        states[s.probe_id].append(s)
    return [
        evaluation.probe_status(evaluation.live_locations(locs, probes[pid][1]), probes[pid][0])
        for pid, locs in states.items()
    ]


def _alert_statuses(component: Component) -> list[str]:
    return list(
        ExternalAlert.objects.filter(component=component, is_firing=True).values_list("status", flat=True)
    )


def set_component_status(
    component: Component, status: str, *, now: datetime | None = None, automatic: bool = False
) -> bool:
    """Change a component's status: close its period, open the next, log the event."""
    if component.status == status:
        return False
    now = now or timezone.now()
    credit_uptime(component, now)
    previous = component.status
    StatusPeriod.objects.filter(component=component, ended_at__isnull=True).update(ended_at=now)
    StatusPeriod.objects.create(component=component, status=status, started_at=now)
    component.status = status
    component.save(update_fields=["status", "updated_at"])
    record_event(
        EventKind.COMPONENT_STATUS_CHANGED,
        component=component,
        data={"from": previous, "to": status, "automatic": automatic},
    )
    return True


def restore_components(components) -> None:
    """After an incident resolves: back to operational, unless probes or alerts say otherwise."""
    for component in components.select_for_update():
        watched = (
            component.probes.filter(is_active=True).exists()
            or component.alerts.filter(is_firing=True).exists()
        )
        if watched or component.in_maintenance:
            evaluate_component(component.pk)
        else:
            set_component_status(component, ComponentStatus.OPERATIONAL)
