"""The component page's response-time chart: axes, labels, one line per probe and location."""

from __future__ import annotations

import re
from datetime import timedelta

from django.utils import timezone

from incidents.models import Probe, ProbeKind, ProbeResult
from incidents.public.latency_chart import nice_ceiling


def results(
    probe: Probe, latencies: dict[str, list[float]], every: timedelta = timedelta(minutes=15)
) -> None:
    now = timezone.now()
    ProbeResult.objects.bulk_create(
        ProbeResult(probe=probe, ok=True, latency_ms=ms, location=location, observed_at=now - every * (n + 1))
        for location, values in latencies.items()
        for n, ms in enumerate(values)
    )


def chart_svg(client, component) -> str:
    text = client.get(f"/components/{component.pk}/").text
    return re.search(r"<svg\b.*?</svg>", text, re.S).group(0)


def test_a_push_probes_reported_latency_is_charted_with_axes_and_labels(client, component, probe):
    results(probe, {"eu-west": [80, 95, 110, 90] * 20, "us-east": [140, 160] * 40})

    svg = chart_svg(client, component)

    labels = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert labels == [
        "0 ms",
        "50 ms",
        "100 ms",
        "150 ms",
        "200 ms",
        "24 h ago",
        "18 h ago",
        "12 h ago",
        "6 h ago",
        "now",
    ]
    assert svg.count("<line") == 5 + 1 + 5  # grid lines, the time axis, its ticks
    assert re.findall(r"<title>([^<]+)</title>", svg) == ["eu-west", "us-east"]


def test_several_probes_are_told_apart_in_the_legend(client, component, probe):
    http = Probe.objects.create(
        component=component, name="https", kind=ProbeKind.HTTP, url="https://example.com/"
    )
    results(probe, {"eu-west": [80, 90]})
    results(http, {"eu-west": [300, 320]})

    svg = chart_svg(client, component)

    assert re.findall(r"<title>([^<]+)</title>", svg) == ["https · eu-west", "push · eu-west"]


def test_a_single_measurement_still_shows(client, component, probe):
    results(probe, {"eu-west": [42]})

    svg = chart_svg(client, component)

    [points] = re.findall(r'points="([^"]+)"', svg)
    assert len(points.split()) == 2  # drawn as a dot


def test_a_heartbeat_has_no_chart(client, component):
    beat = Probe.objects.create(component=component, name="cron", kind=ProbeKind.HEARTBEAT)
    ProbeResult.objects.create(probe=beat, ok=True, location="default", observed_at=timezone.now())

    assert "Response time" not in client.get(f"/components/{component.pk}/").text


def test_the_y_axis_ends_on_a_round_number():
    assert nice_ceiling(87) == (100, 25)
    assert nice_ceiling(160) == (200, 50)
    assert nice_ceiling(201.4) == (240, 60)
    assert nice_ceiling(1234) == (1600, 400)
    assert nice_ceiling(12) == (16, 4)
    assert nice_ceiling(0) == (4, 1)
