"""A response-time chart for probes that report latency, drawn server-side as SVG with axes."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from incidents.models import ProbeKind, ProbeResult

WIDTH, HEIGHT = 600, 240
# The y labels sit inside the plot above their grid lines, so they fit on a phone too.
LEFT, RIGHT, TOP, BOTTOM = 2, 2, 28, 30
COLORS = ("#2b6cb0", "#d69e2e", "#805ad5", "#38a169", "#dd6b20", "#319795")
# Kinds whose results carry a response time; an HTTP probe always gets a chart (empty or not).
CHARTED_KINDS = (ProbeKind.HTTP, ProbeKind.PUSH)


@dataclass
class Series:
    location: str  # the line's label: the location, or "probe · location" when several probes report
    points: str  # SVG polyline points
    color: str = COLORS[0]


@dataclass
class Tick:
    at: str  # x or y in the chart's coordinates, formatted for SVG
    label: str
    anchor: str = "middle"
    minor: bool = False  # left out on a narrow screen


@dataclass
class LatencyChart:
    series: list[Series]
    max_ms: float
    hours: int
    bucket_minutes: int = 15
    y_ticks: list[Tick] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM


def nice_ceiling(value: float) -> tuple[float, float]:
    """A round top for the y axis, above the peak, and its step (4 steps): 87 ms -> (100, 25)."""
    if value <= 0:
        return 4.0, 1.0
    magnitude = 10 ** math.floor(math.log10(value / 4))
    for factor in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        step = factor * magnitude
        if step * 4 > value:
            return step * 4, step
    return value, value / 4  # not reached


def _ms(value: float) -> str:
    return f"{value:g} ms" if value < 10_000 else f"{value / 1000:g} s"


def latency_chart(component, hours: int = 24, buckets: int = 96) -> LatencyChart | None:
    """Average latency per bucket, probe and location over the last `hours`, read by (probe, time) index.

    None when the component has no probe that measures response time (an HTTP probe, or a
    push probe that has reported latency in the window).
    """
    probes = dict(
        (pk, (name, kind))
        for pk, name, kind in component.probes.filter(kind__in=CHARTED_KINDS).values_list(
            "pk", "name", "kind"
        )
    )
    if not probes:
        return None
    now = timezone.now()
    start = now - timedelta(hours=hours)
    span = (now - start).total_seconds() / buckets
    sums: dict[tuple[int, str], dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    rows = ProbeResult.objects.filter(
        probe_id__in=list(probes), observed_at__gte=start, latency_ms__isnull=False
    ).values_list("probe_id", "location", "observed_at", "latency_ms")
    for probe_id, location, observed_at, latency in rows.iterator(chunk_size=5000):
        bucket = min(buckets - 1, int((observed_at - start).total_seconds() // span))
        cell = sums[probe_id, location][bucket]
        cell[0] += latency
        cell[1] += 1
    if not sums:
        has_http = any(kind == ProbeKind.HTTP for _, kind in probes.values())
        return LatencyChart([], 0, hours) if has_http else None
    averages = {key: {b: total / count for b, (total, count) in cells.items()} for key, cells in sums.items()}
    max_ms = max(v for cells in averages.values() for v in cells.values())
    top_ms, step = nice_ceiling(max_ms)
    chart = LatencyChart([], round(max_ms, 1), hours, bucket_minutes=round(hours * 60 / buckets))
    plot_w, plot_h = chart.right - chart.left, chart.bottom - chart.top

    def x(bucket: float) -> float:
        return chart.left + bucket * plot_w / buckets

    def y(ms: float) -> float:
        return chart.bottom - ms / top_ms * plot_h

    several = len({probe_id for probe_id, _ in averages}) > 1
    for n, (probe_id, location) in enumerate(sorted(averages, key=lambda k: (probes[k[0]][0], k[1]))):
        cells = sorted(averages[probe_id, location].items())
        points = [f"{x(b + 0.5):.1f},{y(v):.1f}" for b, v in cells]
        if len(points) == 1:
            points *= 2  # a lone average still shows, as a dot (round line caps)
        label = f"{probes[probe_id][0]} · {location}" if several else location
        chart.series.append(Series(label, " ".join(points), COLORS[n % len(COLORS)]))
    chart.y_ticks = [Tick(f"{y(step * i):.1f}", _ms(step * i), "end") for i in range(5)]
    chart.x_ticks = [
        Tick(
            f"{x(buckets * i / 4):.1f}",
            "now" if i == 4 else f"{hours - hours * i // 4} h ago",
            anchor,
            i % 2 == 1,
        )
        for i, anchor in enumerate(("start", "middle", "middle", "middle", "end"))
    ]
    return chart
