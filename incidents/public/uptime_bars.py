"""Uptime as the public pages show it: 90-day bars, window percentages, months."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from incidents.models import UptimeDay
from incidents.monitoring.uptime_math import STATUS_FIELDS, Totals, format_duration, format_percent, total

BAR_DAYS = 90


@dataclass
class DayBar:
    day: date
    totals: Totals

    @property
    def level(self) -> str:
        t = self.totals
        if t.major_outage:
            return "major"
        if t.partial_outage:
            return "partial"
        if t.degraded_performance:
            return "degraded"
        if t.under_maintenance and not t.measured:
            return "maintenance"
        return "ok" if t.measured else "nodata"

    @property
    def tooltip(self) -> str:
        label = self.day.strftime("%b %-d, %Y")
        if not self.totals.measured:
            return f"{label}: " + ("maintenance" if self.totals.under_maintenance else "no data")
        text = f"{label}: {format_percent(self.totals.uptime)} uptime"
        if self.totals.outage_seconds:
            text += f", {format_duration(self.totals.outage_seconds)} of outage"
        if self.totals.degraded_performance:
            text += f", {format_duration(self.totals.degraded_performance)} degraded"
        return text


@dataclass
class ComponentUptime:
    bars: list[DayBar] = field(default_factory=list)

    def window(self, days: int) -> Totals:
        return total(bar.totals for bar in self.bars[-days:])

    @cached_property
    def uptime_30(self) -> str:
        return format_percent(self.window(30).uptime)

    @cached_property
    def uptime_90(self) -> str:
        return format_percent(self.window(90).uptime)

    @property
    def bars_html(self) -> str:
        """The day segments, built here rather than in a template loop: the page has thousands."""
        return mark_safe(  # noqa: S308 - only escaped tooltips and fixed class names
            "".join(f'<span class="{bar.level}" title="{escape(bar.tooltip)}"></span>' for bar in self.bars)
        )


def uptime_by_component(component_ids: Iterable[int], days: int = BAR_DAYS) -> dict[int, ComponentUptime]:
    """Bars for the last `days` UTC days, today included, in one query."""
    today = timezone.now().date()
    start = today - timedelta(days=days - 1)
    ids = list(component_ids)
    rows: dict[int, dict[date, Totals]] = defaultdict(dict)
    for component_id, day, *seconds in UptimeDay.objects.filter(
        component_id__in=ids, day__gte=start
    ).values_list("component_id", "day", *STATUS_FIELDS):
        rows[component_id][day] = Totals(*seconds)
    result = {}
    for component_id in ids:
        by_day = rows.get(component_id, {})
        result[component_id] = ComponentUptime(
            [
                DayBar(start + timedelta(days=i), by_day.get(start + timedelta(days=i), Totals()))
                for i in range(days)
            ]
        )
    return result


@dataclass
class MonthUptime:
    month: date
    totals: Totals

    @property
    def uptime(self) -> str:
        return format_percent(self.totals.uptime)

    @property
    def downtime(self) -> str:
        return format_duration(self.totals.down_seconds)


def monthly_uptime(component_id: int, months: int = 12, since: date | None = None) -> list[MonthUptime]:
    """The last `months` calendar months (none before `since`), newest first, from daily rollups."""
    today = timezone.now().date()
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    sums: dict[date, Totals] = defaultdict(Totals)
    for row in UptimeDay.objects.filter(component_id=component_id, day__gte=first).values(
        "day", *STATUS_FIELDS
    ):
        month = row["day"].replace(day=1)
        sums[month] = sums[month] + Totals.of(row)
    result, month = [], today.replace(day=1)
    for _ in range(months):
        if since and month < since.replace(day=1):
            break
        result.append(MonthUptime(month, sums.get(month, Totals())))
        month = (month - timedelta(days=1)).replace(day=1)
    return result
