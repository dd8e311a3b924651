"""Rebuild status periods and daily rollups from raw probe results (after a bug, a restore, or an import)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from django.db import transaction

from incidents.models import Component, ComponentStatus, ProbeResult, StatusPeriod, UptimeDay, worst_status
from incidents.monitoring import evaluation, uptime_math
from incidents.monitoring.component_status import DEFAULT_LOCATION, thresholds

CHUNK = 5000


@transaction.atomic
def rebuild_component(
    component_id: int, since: datetime, until: datetime, progress: Callable[[int], None] = lambda n: None
) -> int:
    """Replay a component's results in [since, until) and replace its periods and rollups there.

    Only probes are replayed: alerts and maintenance windows in that span are not
    re-applied. Returns the number of results replayed.
    """
    component = Component.objects.select_for_update().get(pk=component_id)
    probes = {p.pk: p for p in component.probes.filter(is_active=True)}
    counters: dict[tuple[int, str], evaluation.LocationCounters] = {}
    status, status_since = ComponentStatus.OPERATIONAL, since
    covered_until = since if not probes else None
    pieces: list[tuple[str, datetime, datetime]] = []
    periods: list[StatusPeriod] = []
    replayed = 0

    def close(field: str, start: datetime, end: datetime) -> None:
        if end > start:
            pieces.append((field, start, end))

    results = (
        ProbeResult.objects.filter(probe_id__in=list(probes), observed_at__gte=since, observed_at__lt=until)
        .order_by("observed_at", "pk")
        .values_list("probe_id", "location", "ok", "latency_ms", "observed_at")
    )
    for probe_id, location, ok, latency, observed_at in results.iterator(chunk_size=CHUNK):
        probe = probes[probe_id]
        # Time between the last vouched moment and this result had no data.
        if covered_until is None:
            close("no_data", since, observed_at)
        elif observed_at > covered_until:
            close(status, status_since, covered_until)
            close("no_data", covered_until, observed_at)
            status_since = observed_at
        covered_until = max(
            covered_until or observed_at, observed_at + evaluation.vouch_horizon(probe.interval_seconds)
        )
        state = counters.setdefault((probe_id, location or DEFAULT_LOCATION), evaluation.LocationCounters())
        evaluation.apply_result(state, ok, latency, thresholds(probe))
        by_probe: dict[int, list] = defaultdict(list)
        for (pid, _), loc in counters.items():
            by_probe[pid].append(loc)
        new = worst_status(
            evaluation.probe_status(locs, probes[pid].quorum) for pid, locs in by_probe.items()
        )
        if new != status:
            close(status, max(status_since, since), observed_at)
            periods.append(StatusPeriod(component=component, status=new, started_at=observed_at))
            status, status_since = new, observed_at
        replayed += 1
        if replayed % CHUNK == 0:
            progress(CHUNK)
    progress(replayed % CHUNK)

    end = until if covered_until is None else min(until, covered_until)
    close(status, status_since, end)
    if covered_until is not None and covered_until < until:
        close("no_data", covered_until, until)
    _replace_rollups(component, since, until, pieces, periods)
    return replayed


def _replace_rollups(component, since, until, pieces, periods) -> None:
    days: dict = defaultdict(lambda: defaultdict(float))
    for field, start, end in pieces:
        for day, seconds in uptime_math.split_by_day(start, end):
            days[day][field] += seconds
    UptimeDay.objects.filter(component=component, day__gte=since.date(), day__lte=until.date()).delete()
    UptimeDay.objects.bulk_create(
        [UptimeDay(component=component, day=day, **fields) for day, fields in sorted(days.items())]
    )
    StatusPeriod.objects.filter(component=component, started_at__gte=since).delete()
    for older, newer in zip(periods, periods[1:], strict=False):
        older.ended_at = newer.started_at
    StatusPeriod.objects.bulk_create(periods)
    Component.objects.filter(pk=component.pk).update(accounted_until=until)
