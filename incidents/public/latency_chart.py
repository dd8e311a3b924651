"""A response-time chart for HTTP probes, drawn server-side as SVG points."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from incidents.models import ProbeKind, ProbeResult

WIDTH, HEIGHT, PAD = 600, 160, 4


@dataclass
class Series:
    location: str
    points: str  # SVG polyline points


@dataclass
class LatencyChart:
    series: list[Series]
    max_ms: float
    hours: int
    width: int = WIDTH
    height: int = HEIGHT


def latency_chart(component, hours: int = 24, buckets: int = 96) -> LatencyChart | None:
    """Average latency per bucket and location over the last `hours`, read by (probe, time) index."""
    probe_ids = list(component.probes.filter(kind=ProbeKind.HTTP).values_list("pk", flat=True))
    if not probe_ids:
        return None
    now = timezone.now()
    start = now - timedelta(hours=hours)
    span = (now - start).total_seconds() / buckets
    sums: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0]))
    rows = ProbeResult.objects.filter(
        probe_id__in=probe_ids, observed_at__gte=start, latency_ms__isnull=False
    ).values_list("location", "observed_at", "latency_ms")
    for location, observed_at, latency in rows.iterator(chunk_size=5000):
        bucket = min(buckets - 1, int((observed_at - start).total_seconds() // span))
        cell = sums[location][bucket]
        cell[0] += latency
        cell[1] += 1
    if not sums:
        return LatencyChart([], 0, hours)
    averages = {loc: {b: total / count for b, (total, count) in cells.items()} for loc, cells in sums.items()}
    max_ms = max(v for cells in averages.values() for v in cells.values()) or 1
    series = []
    for location in sorted(averages):
        points = " ".join(
            f"{PAD + b * (WIDTH - 2 * PAD) / (buckets - 1):.1f},"
            f"{HEIGHT - PAD - v / max_ms * (HEIGHT - 2 * PAD):.1f}"
            for b, v in sorted(averages[location].items())
        )
        series.append(Series(location, points))
    return LatencyChart(series, round(max_ms, 1), hours)
