"""Daily uptime rollups, kept up to date as time passes and statuses change."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.models import Component, UptimeDay
from incidents.monitoring import evaluation, uptime_math


def data_until(component: Component) -> datetime | None:
    """Until when the component's probes vouch for its status; None if it has no probes."""
    probes = list(
        component.probes.filter(is_active=True).order_by().values_list("last_result_at", "interval_seconds")
    )
    if not probes:
        return None
    horizons = [last + evaluation.vouch_horizon(interval) for last, interval in probes if last is not None]
    return max(horizons, default=component.created_at)


def credit_uptime(component: Component, now: datetime) -> None:
    """Add the seconds since the last credit to today's (and earlier days') rollups."""
    start = component.accounted_until or component.created_at
    if now <= start:
        return
    vouched = data_until(component)
    pieces: list[tuple[str, datetime, datetime]] = []
    if vouched is None or vouched >= now:
        pieces.append((component.status, start, now))
    elif vouched <= start:
        pieces.append(("no_data", start, now))
    else:
        pieces += [(component.status, start, vouched), ("no_data", vouched, now)]
    for field, begin, end in pieces:
        for day, seconds in uptime_math.split_by_day(begin, end):
            UptimeDay.objects.get_or_create(component=component, day=day)
            UptimeDay.objects.filter(component=component, day=day).update(**{field: F(field) + seconds})
    component.accounted_until = now
    Component.objects.filter(pk=component.pk).update(accounted_until=now)


def tick_uptime(now: datetime | None = None) -> int:
    """Bring every component's rollups up to now (no-data time accrues without results)."""
    now = now or timezone.now()
    ids = list(Component.objects.values_list("pk", flat=True))
    for component_id in ids:
        with transaction.atomic():
            credit_uptime(Component.objects.select_for_update().get(pk=component_id), now)
    return len(ids)
