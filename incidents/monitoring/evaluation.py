"""Pure status evaluation: confirmation per location, quorum across locations."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from incidents.models.components import ComponentStatus


@dataclass
class LocationCounters:
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    is_down: bool = False
    is_slow: bool = False


@dataclass(frozen=True)
class Thresholds:
    failures: int = 2
    successes: int = 1
    degraded_latency_ms: float | None = None


def apply_result(state: LocationCounters, ok: bool, latency_ms: float | None, rules: Thresholds) -> None:
    """Advance one location's counters by one result (N failures to go down, M successes to recover)."""
    if ok:
        state.consecutive_successes += 1
        state.consecutive_failures = 0
        if state.is_down and state.consecutive_successes >= rules.successes:
            state.is_down = False
        state.is_slow = bool(
            rules.degraded_latency_ms is not None
            and latency_ms is not None
            and latency_ms > rules.degraded_latency_ms
        )
    else:
        state.consecutive_failures += 1
        state.consecutive_successes = 0
        if not state.is_down and state.consecutive_failures >= rules.failures:
            state.is_down = True


def probe_status(locations: Iterable[LocationCounters], quorum: int) -> str:
    """A probe's verdict: major outage when `quorum` locations are down, partial when fewer."""
    locations = list(locations)
    down = sum(1 for loc in locations if loc.is_down)
    if down and down >= min(quorum, len(locations)):
        return ComponentStatus.MAJOR_OUTAGE
    if down:
        return ComponentStatus.PARTIAL_OUTAGE
    if any(loc.is_slow for loc in locations):
        return ComponentStatus.DEGRADED
    return ComponentStatus.OPERATIONAL


def vouch_horizon(interval_seconds: int) -> timedelta:
    """How long one result vouches for a status: past it, with no newer result, there is no data."""
    return max(timedelta(seconds=3 * interval_seconds), timedelta(minutes=5))


def live_locations(states: list, horizon: timedelta) -> list:
    """The locations (anything with last_result_at) that reported within `horizon` of the newest one.

    A probe host that stopped reporting no longer counts towards the quorum, so it cannot
    hold a component down (or up) while the other locations report.
    """
    newest = max((s.last_result_at for s in states), default=None)
    return [s for s in states if s.last_result_at >= newest - horizon]
