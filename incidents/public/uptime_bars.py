"""Uptime as the public pages show it: 90-day bars, window percentages, months.

Every page reads uptime through uptime_of(), so the status page, a component's
page and the history agree at the same moment: the same rollups, the stretch not
yet credited added the same way, the same windows and the same rounding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cached_property

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from incidents.models import Component, UptimeDay
from incidents.monitoring.rollups import uncredited
from incidents.monitoring.uptime_math import (
    STATUS_FIELDS,
    Totals,
    format_downtime,
    format_duration,
    format_percent,
    total,
)

BAR_DAYS = 90
MONTHS = 12


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
        t = self.totals
        if not t.measured:
            return f"{label}: " + ("maintenance" if t.under_maintenance else "no data")
        text = f"{label}: {format_percent(t.uptime)} uptime, {format_downtime(t.down_seconds)} down"
        # Minutes down are weighted (a partial outage 30%): then name the outages themselves too.
        if t.partial_outage:
            outages = [
                f"{format_downtime(seconds)} {name}"
                for seconds, name in ((t.major_outage, "major outage"), (t.partial_outage, "partial outage"))
                if seconds
            ]
            text += f" ({', '.join(outages)})"
        if t.degraded_performance:
            text += f", {format_duration(t.degraded_performance)} degraded"
        if t.under_maintenance:
            text += f", {format_duration(t.under_maintenance)} maintenance"
        return text


@dataclass
class MonthUptime:
    month: date
    totals: Totals

    @property
    def uptime(self) -> str:
        return format_percent(self.totals.uptime)

    @property
    def downtime(self) -> str:
        return format_downtime(self.totals.down_seconds)


@dataclass
class ComponentUptime:
    """A component's days (rollups plus the stretch not yet credited), and the figures read from them."""

    today: date
    days: dict[date, Totals] = field(default_factory=dict)
    since: date | None = None  # no months before this one are listed

    @cached_property
    def bars(self) -> list[DayBar]:
        start = self.today - timedelta(days=BAR_DAYS - 1)
        return [
            DayBar(day, self.days.get(day, Totals()))
            for day in (start + timedelta(days=i) for i in range(BAR_DAYS))
        ]

    def window(self, days: int) -> Totals:
        """The last `days` UTC days, today included; days before monitoring began are not counted."""
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

    def months(self, count: int = MONTHS) -> list[MonthUptime]:
        """The last `count` calendar months (none before `since`), newest first."""
        sums: dict[date, Totals] = defaultdict(Totals)
        for day, totals in self.days.items():
            sums[day.replace(day=1)] = sums[day.replace(day=1)] + totals
        result, month = [], self.today.replace(day=1)
        for _ in range(count):
            if self.since and month < self.since.replace(day=1):
                break
            result.append(MonthUptime(month, sums.get(month, Totals())))
            month = (month - timedelta(days=1)).replace(day=1)
        return result


def first_of_month_before(today: date, months: int) -> date:
    first = today.replace(day=1)
    for _ in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    return first


def uptime_of(
    components: Iterable[Component], *, months: int = 0, now: datetime | None = None
) -> dict[int, ComponentUptime]:
    """Each component's uptime: 90 days of bars (and `months` calendar months), in two queries.

    Reads UptimeDay rollups only, plus the seconds since each component's last credit
    (its current status, or no data past its probes' horizon), so a page never lags
    the status it shows. Each day with a rollup counts as a whole day (uptime_math).
    """
    now = now or timezone.now()
    today = now.date()
    components = list(components)
    start = today - timedelta(days=BAR_DAYS - 1)
    if months:
        start = min(start, first_of_month_before(today, months))
    days: dict[int, dict[date, Totals]] = defaultdict(dict)
    accounted: dict[int, datetime | None] = {}
    if components:
        rows = UptimeDay.objects.filter(component_id__in=[c.pk for c in components], day__gte=start)
        fields = ("component_id", "component__accounted_until", "day", *STATUS_FIELDS)
        for component_id, accounted_until, day, *seconds in rows.values_list(*fields):
            days[component_id][day] = Totals(*seconds)
            accounted[component_id] = accounted_until
    for component_id, pending in uncredited(components, now, accounted).items():
        for day, seconds in pending.items():
            if day >= start:
                days[component_id][day] = days[component_id].get(day, Totals()) + Totals.of(seconds)
    for by_day in days.values():
        for day, totals in by_day.items():
            # A day with anything measured counts whole; one without (no data, maintenance) not at all.
            by_day[day] = replace(totals, days=1 if totals.measured > 0 else 0)
    result = {}
    for c in components:
        by_day = days.get(c.pk, {})
        result[c.pk] = ComponentUptime(today, by_day, since=min([c.created_at.date(), *by_day]))
    return result


def attach_uptime(components: Iterable[Component]) -> list[Component]:
    """The components, each with its `uptime` (a ComponentUptime) for a template."""
    components = list(components)
    uptime = uptime_of(components)
    for component in components:
        component.uptime = uptime[component.pk]
    return components
