"""Daily uptime rollups, kept up to date as time passes and statuses change."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from incidents.models import Component, Probe, UptimeDay
from incidents.monitoring import evaluation, uptime_math

Piece = tuple[str, datetime, datetime]


def _vouched_until(probes: Iterable[tuple[datetime | None, int]], created_at: datetime) -> datetime | None:
    """Until when probes (last result, interval) vouch for a status; None if there are none."""
    probes = list(probes)
    if not probes:
        return None
    horizons = [last + evaluation.vouch_horizon(interval) for last, interval in probes if last is not None]
    return max(horizons, default=created_at)


def data_until(component: Component) -> datetime | None:
    """Until when the component's probes vouch for its status; None if it has no probes."""
    probes = (
        component.probes.filter(is_active=True).order_by().values_list("last_result_at", "interval_seconds")
    )
    return _vouched_until(probes, component.created_at)


def pending(status: str, start: datetime, now: datetime, vouched: datetime | None) -> list[Piece]:
    """How [start, now) is credited: the status while probes vouch for it, no data after."""
    if now <= start:
        return []
    if vouched is None or vouched >= now:
        return [(status, start, now)]
    if vouched <= start:
        return [("no_data", start, now)]
    return [(status, start, vouched), ("no_data", vouched, now)]


def credit_uptime(component: Component, now: datetime) -> None:
    """Add the seconds since the last credit to today's (and earlier days') rollups."""
    start = component.accounted_until or component.created_at
    if now <= start:
        return
    for field, begin, end in pending(component.status, start, now, data_until(component)):
        for day, seconds in uptime_math.split_by_day(begin, end):
            UptimeDay.objects.get_or_create(component=component, day=day)
            UptimeDay.objects.filter(component=component, day=day).update(**{field: F(field) + seconds})
    component.accounted_until = now
    Component.objects.filter(pk=component.pk).update(accounted_until=now)


def uncredited(
    components: Sequence[Component],
    now: datetime,
    accounted_until: Mapping[int, datetime | None] | None = None,
) -> dict[int, dict[date, dict[str, float]]]:
    """Seconds per component, day and status that the rollups do not hold yet (one query).

    Rollups are credited at most every minute, so a reader adds the stretch since
    accounted_until exactly as the next credit will: the current status while the
    probes vouch for it, then no data. Pass the accounted_until read with the rollups
    (same statement) so a credit committed in between is not counted twice.
    """
    accounted_until = accounted_until or {}
    probes: dict[int, list[tuple[datetime | None, int]]] = defaultdict(list)
    if components:
        # One row per component and interval: the latest result is all a horizon needs.
        rows = (
            Probe.objects.filter(component_id__in=[c.pk for c in components], is_active=True)
            .values_list("component_id", "interval_seconds")
            .annotate(last=Max("last_result_at"))
            .order_by()
        )
        for component_id, interval, last in rows:
            probes[component_id].append((last, interval))
    result: dict[int, dict[date, dict[str, float]]] = {}
    for component in components:
        start = accounted_until.get(component.pk, component.accounted_until) or component.created_at
        vouched = _vouched_until(probes.get(component.pk, ()), component.created_at)
        days: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for field, begin, end in pending(component.status, start, now, vouched):
            for day, seconds in uptime_math.split_by_day(begin, end):
                days[day][field] += seconds
        result[component.pk] = days
    return result


def tick_uptime(now: datetime | None = None) -> int:
    """Bring every component's rollups up to now (no-data time accrues without results)."""
    now = now or timezone.now()
    ids = list(Component.objects.values_list("pk", flat=True))
    for component_id in ids:
        with transaction.atomic():
            credit_uptime(Component.objects.select_for_update().get(pk=component_id), now)
    return len(ids)
