"""Uptime math on daily rollups: how seconds in each status become a percentage.

Weights: a major outage counts 100% down, a partial outage 30%, degraded
performance 0% (slow is still up). Maintenance and seconds with no data are
left out of the denominator: planned work is announced, and no data is not
evidence either way.

A day with a rollup counts as a whole day (24 hours less its maintenance and
no-data seconds), as Statuspage counts it: today, and the day monitoring began,
are not judged on the few minutes measured so far, so a 3-minute outage reads
as 3 minutes of a day, not as most of an afternoon. Days without a rollup
(before the component existed) are not part of any window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

STATUS_FIELDS = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
    "no_data",
)
DOWN_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3}
DAY_SECONDS = 86_400
# The method, as the public pages state it (one sentence, next to the figures).
METHOD = (
    "Uptime counts each day since monitoring began as 24 hours, less maintenance and time without data;"
    " a major outage counts fully as downtime, a partial outage 30%, degraded performance not at all."
)


def split_by_day(start: datetime, end: datetime) -> list[tuple[date, float]]:
    """Seconds of [start, end) that fall on each UTC day."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    pieces = []
    while start < end:
        midnight = datetime.combine(start.date() + timedelta(days=1), time.min, tzinfo=UTC)
        stop = min(end, midnight)
        pieces.append((start.date(), (stop - start).total_seconds()))
        start = stop
    return pieces


@dataclass
class Totals:
    operational: float = 0
    degraded_performance: float = 0
    partial_outage: float = 0
    major_outage: float = 0
    under_maintenance: float = 0
    no_data: float = 0
    # Whole days these seconds belong to (0 for bare seconds): the span uptime is measured over.
    days: int = 0

    @classmethod
    def of(cls, row: Mapping | object) -> Totals:
        get = row.get if isinstance(row, Mapping) else lambda f, d=0: getattr(row, f, d)
        return cls(**{f: float(get(f, 0) or 0) for f in STATUS_FIELDS})

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.operational + other.operational,
            self.degraded_performance + other.degraded_performance,
            self.partial_outage + other.partial_outage,
            self.major_outage + other.major_outage,
            self.under_maintenance + other.under_maintenance,
            self.no_data + other.no_data,
            self.days + other.days,
        )

    @property
    def measured(self) -> float:
        """Seconds that count towards uptime."""
        return self.operational + self.degraded_performance + self.partial_outage + self.major_outage

    @property
    def down_seconds(self) -> float:
        return (
            self.major_outage * DOWN_WEIGHT["major_outage"]
            + self.partial_outage * DOWN_WEIGHT["partial_outage"]
        )

    @property
    def outage_seconds(self) -> float:
        """Unweighted time in any outage, for "outage durations" in tooltips."""
        return self.partial_outage + self.major_outage

    @property
    def counted(self) -> float:
        """Seconds uptime is measured over: the whole days less maintenance and time without data."""
        return max(self.measured, self.days * DAY_SECONDS - self.under_maintenance - self.no_data)

    @property
    def uptime(self) -> float | None:
        """Uptime in percent, or None when nothing was measured."""
        if self.measured <= 0:
            return None
        return 100.0 * (self.counted - self.down_seconds) / self.counted


def total(rows: Iterable) -> Totals:
    result = Totals()
    for row in rows:
        result = result + (row if isinstance(row, Totals) else Totals.of(row))
    return result


def format_duration(seconds: float) -> str:
    """'5 h 8 min', '3 min', '0 min' - the way a status page reads out downtime."""
    minutes = int(round(seconds / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes or not parts:
        parts.append(f"{minutes} min")
    return " ".join(parts)


def format_downtime(seconds: float) -> str:
    """Downtime for a tooltip or table: 'under 1 min' rather than '0 min' for a blip."""
    return "under 1 min" if 0 < seconds < 60 else format_duration(seconds)


def format_percent(value: float | None) -> str:
    """Never rounds a real outage up to 100%: 99.999 shows as 99.99%."""
    if value is None:
        return "no data"
    if value >= 100:
        return "100%"
    # Truncate (never round up), with a nudge so float error can't turn 45% into 44.99%; the nudge
    # must not lift a sliver of downtime to "100.00%" either.
    hundredths = min(int(value * 100 + 1e-6), 9999)
    return f"{hundredths / 100:.2f}%"
