"""Uptime: rollup math, crediting time to UptimeDay rows, the public uptime views, result retention."""

from __future__ import annotations

import calendar
import math
import re
from datetime import UTC, date, datetime, timedelta
from datetime import timezone as dt_timezone
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import (
    Component,
    ComponentStatus,
    Probe,
    ProbeKind,
    ProbeResult,
    UptimeDay,
)
from incidents.monitoring import retention, uptime_math
from incidents.monitoring.component_status import Observation, record_results, set_component_status
from incidents.monitoring.rollups import tick_uptime
from incidents.monitoring.uptime_math import Totals, format_duration, format_percent, split_by_day

DAY = 86_400
FIVE_H_8_MIN = 5 * 3600 + 8 * 60  # 18480 s, the message-queue post-mortem


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def floor_percent(down: float, measured: float) -> str:
    """The expected display, from the definition: uptime truncated (never rounded) to 2 decimals."""
    hundredths = math.floor((1 - Fraction(down) / Fraction(measured)) * 10_000)
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


# --- split_by_day


def test_a_span_within_one_day_is_one_piece():
    assert split_by_day(utc(2024, 3, 10, 10), utc(2024, 3, 10, 12, 30)) == [(date(2024, 3, 10), 9000.0)]


def test_a_span_across_midnight_is_split_at_midnight():
    assert split_by_day(utc(2024, 3, 10, 23, 30), utc(2024, 3, 11, 0, 45)) == [
        (date(2024, 3, 10), 1800.0),
        (date(2024, 3, 11), 2700.0),
    ]


def test_a_span_over_several_days_gives_whole_days_in_between():
    assert split_by_day(utc(2024, 2, 27, 22), utc(2024, 3, 2, 3)) == [
        (date(2024, 2, 27), 7200.0),
        (date(2024, 2, 28), float(DAY)),
        (date(2024, 2, 29), float(DAY)),  # a leap day
        (date(2024, 3, 1), float(DAY)),
        (date(2024, 3, 2), 10800.0),
    ]


def test_days_are_utc_days_whatever_the_timezone_of_the_datetimes():
    cest = dt_timezone(timedelta(hours=2))

    pieces = split_by_day(datetime(2024, 6, 1, 1, 0, tzinfo=cest), datetime(2024, 6, 1, 3, 0, tzinfo=cest))

    assert pieces == [(date(2024, 5, 31), 3600.0), (date(2024, 6, 1), 3600.0)]


def test_an_empty_or_reversed_span_has_no_pieces():
    moment = utc(2024, 3, 10, 12)

    assert split_by_day(moment, moment) == []
    assert split_by_day(moment, moment - timedelta(hours=1)) == []


def test_the_pieces_add_up_to_the_span():
    start, end = utc(2024, 1, 1, 7, 13, 5), utc(2024, 1, 9, 16, 2, 41)

    assert sum(seconds for _, seconds in split_by_day(start, end)) == (end - start).total_seconds()


# --- Totals.uptime weighting


@pytest.mark.parametrize(
    "totals, expected",
    [
        (Totals(operational=1000), 100.0),
        (Totals(operational=700, major_outage=300), 70.0),
        (Totals(major_outage=500), 0.0),
        (Totals(operational=0, partial_outage=1000), 70.0),  # partial counts 30% down
        (Totals(operational=500, partial_outage=500), 85.0),
        (Totals(operational=500, degraded_performance=500), 100.0),  # slow is still up
        (Totals(operational=800, major_outage=100, partial_outage=100), 87.0),
    ],
)
def test_uptime_weights_major_fully_partial_thirty_percent_and_degraded_not_at_all(totals, expected):
    assert totals.uptime == pytest.approx(expected)


def test_maintenance_and_no_data_are_left_out_of_uptime():
    totals = Totals(operational=900, major_outage=100, under_maintenance=50_000, no_data=50_000)

    assert totals.uptime == pytest.approx(90.0)


@pytest.mark.parametrize(
    "totals",
    [Totals(), Totals(under_maintenance=DAY), Totals(no_data=DAY), Totals(no_data=5, under_maintenance=5)],
)
def test_uptime_is_none_when_nothing_was_measured(totals):
    assert totals.uptime is None
    assert format_percent(totals.uptime) == "no data"


def test_totals_add_up_rows_given_as_mappings_or_objects():
    rows = [
        {"operational": 100, "major_outage": 20},
        UptimeDay(operational=30, partial_outage=10, no_data=7),
    ]

    result = uptime_math.total(rows)

    assert result == Totals(operational=130, major_outage=20, partial_outage=10, no_data=7)
    assert result.down_seconds == pytest.approx(23.0)
    assert result.outage_seconds == 30


# --- format_duration and format_percent


@pytest.mark.parametrize(
    "seconds, text",
    [
        (FIVE_H_8_MIN, "5 h 8 min"),
        (0, "0 min"),
        (29, "0 min"),
        (180, "3 min"),
        (3600, "1 h"),
        (3660, "1 h 1 min"),
        (DAY + 3600, "1 d 1 h"),
        (2 * DAY + 5 * 60, "2 d 5 min"),
    ],
)
def test_format_duration_reads_out_days_hours_and_minutes(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    "value, text",
    [
        (99.999, "99.99%"),
        (99.9999999, "99.99%"),
        (100 - 1e-9, "99.99%"),  # half a second down in 90 days is still not 100%
        (99.287, "99.28%"),
        (100.0, "100%"),
        (0.0, "0.00%"),
        (50.0, "50.00%"),
    ],
)
def test_format_percent_truncates_and_never_rounds_an_outage_up_to_100(value, text):
    assert format_percent(value) == text


def test_an_exact_percentage_is_not_truncated_below_itself():
    totals = Totals(operational=DAY - 47_520, major_outage=47_520)  # exactly 45% up

    assert format_percent(totals.uptime) == floor_percent(47_520, DAY) == "45.00%"


def test_a_30_day_month_with_5_h_8_min_of_major_outage():
    month = 30 * DAY
    totals = Totals(operational=month - FIVE_H_8_MIN, major_outage=FIVE_H_8_MIN)

    # 1 - 18480 / 2592000 = 99.2870...%: shown truncated, not rounded to 99.29%.
    assert format_percent(totals.uptime) == floor_percent(FIVE_H_8_MIN, month) == "99.28%"
    assert format_duration(totals.down_seconds) == "5 h 8 min"


def test_a_31_day_month_with_5_h_8_min_of_major_outage_is_the_99_31_percent_month():
    month = 31 * DAY
    totals = Totals(operational=month - FIVE_H_8_MIN, major_outage=FIVE_H_8_MIN)

    assert format_percent(totals.uptime) == floor_percent(FIVE_H_8_MIN, month) == "99.31%"


# --- Crediting time: credit_uptime / tick_uptime (explicit `now`, no clock mocking)

T0 = utc(2024, 3, 10, 23, 30)


def rollup(component: Component) -> dict[date, dict[str, float]]:
    """Non-zero seconds per day and status."""
    result = {}
    for row in (
        UptimeDay.objects.filter(component=component)
        .order_by("day")
        .values("day", *uptime_math.STATUS_FIELDS)
    ):
        day = row.pop("day")
        result[day] = {field: seconds for field, seconds in row.items() if seconds}
    return result


def accounted_from(
    component: Component, moment: datetime, status: str = ComponentStatus.OPERATIONAL
) -> Component:
    Component.objects.filter(pk=component.pk).update(accounted_until=moment, status=status)
    component.refresh_from_db()
    return component


def test_a_component_without_probes_accrues_its_status_split_across_midnight(component):
    accounted_from(component, T0, ComponentStatus.MAJOR_OUTAGE)

    tick_uptime(T0 + timedelta(hours=1))

    assert rollup(component) == {
        date(2024, 3, 10): {"major_outage": 1800.0},
        date(2024, 3, 11): {"major_outage": 1800.0},
    }
    component.refresh_from_db()
    assert component.accounted_until == T0 + timedelta(hours=1)


def test_ticks_add_to_the_same_day_and_a_repeated_tick_adds_nothing(component):
    accounted_from(component, T0 + timedelta(hours=1))

    for minutes in (70, 90, 90, 120):
        tick_uptime(T0 + timedelta(minutes=minutes))

    assert rollup(component) == {date(2024, 3, 11): {"operational": 3600.0}}


def test_a_tick_over_several_days_fills_every_day(component):
    accounted_from(component, T0, ComponentStatus.DEGRADED)

    tick_uptime(T0 + timedelta(days=2, hours=1))

    assert rollup(component) == {
        date(2024, 3, 10): {"degraded_performance": 1800.0},
        date(2024, 3, 11): {"degraded_performance": float(DAY)},
        date(2024, 3, 12): {"degraded_performance": float(DAY)},
        date(2024, 3, 13): {"degraded_performance": 1800.0},
    }


@pytest.mark.parametrize(
    "interval, horizon",
    [
        (60, timedelta(minutes=5)),  # 3 x 60 s < 5 min
        (120, timedelta(minutes=6)),  # 3 x 120 s
        (600, timedelta(minutes=30)),  # 3 x 600 s
    ],
)
def test_a_component_whose_probe_stopped_reporting_accrues_no_data_after_the_probes_horizon(
    component, interval, horizon
):
    last = T0 + timedelta(minutes=40)  # 23:30 + 40 min = 00:10 on the next day
    Probe.objects.create(component=component, name="push", interval_seconds=interval, last_result_at=last)
    accounted_from(component, T0)

    tick_uptime(T0 + timedelta(hours=2))

    vouched = (last + horizon - utc(2024, 3, 11)).total_seconds()
    assert rollup(component) == {
        date(2024, 3, 10): {"operational": 1800.0},
        date(2024, 3, 11): {"operational": vouched, "no_data": 5400.0 - vouched},
    }


def test_a_component_whose_probe_went_silent_long_ago_accrues_only_no_data(component):
    Probe.objects.create(component=component, name="push", last_result_at=T0 - timedelta(hours=3))
    accounted_from(component, T0 + timedelta(hours=1), ComponentStatus.MAJOR_OUTAGE)

    tick_uptime(T0 + timedelta(hours=2))

    assert rollup(component) == {date(2024, 3, 11): {"no_data": 3600.0}}


def test_a_component_whose_probe_reports_recently_accrues_its_status(component):
    Probe.objects.create(component=component, name="push", last_result_at=T0 + timedelta(minutes=59))
    accounted_from(component, T0 + timedelta(minutes=30))

    tick_uptime(T0 + timedelta(hours=1))

    assert rollup(component) == {date(2024, 3, 11): {"operational": 1800.0}}


def test_the_freshest_of_several_probes_vouches_for_the_component(component):
    Probe.objects.create(component=component, name="old", last_result_at=T0 - timedelta(hours=5))
    Probe.objects.create(component=component, name="new", last_result_at=T0 + timedelta(minutes=50))
    accounted_from(component, T0 + timedelta(minutes=30))

    tick_uptime(T0 + timedelta(minutes=90))

    # Vouched until 00:20 + 5 min, then no data.
    assert rollup(component) == {date(2024, 3, 11): {"operational": 1500.0, "no_data": 2100.0}}


def test_a_status_change_credits_the_old_status_up_to_the_change(component):
    accounted_from(component, T0 + timedelta(minutes=20))  # 23:50

    set_component_status(component, ComponentStatus.MAJOR_OUTAGE, now=T0 + timedelta(minutes=40))
    tick_uptime(T0 + timedelta(minutes=55))

    assert rollup(component) == {
        date(2024, 3, 10): {"operational": 600.0},
        date(2024, 3, 11): {"operational": 600.0, "major_outage": 900.0},
    }


def test_recording_results_credits_the_time_before_them_to_the_old_status(component):
    probe = Probe.objects.create(component=component, name="push", failure_threshold=1)
    now = timezone.now()
    Probe.objects.filter(pk=probe.pk).update(last_result_at=now - timedelta(minutes=1))
    accounted_from(component, now - timedelta(minutes=10))

    record_results(probe.pk, [Observation(ok=False, observed_at=now, location="eu-west")])
    tick_uptime(timezone.now() + timedelta(minutes=2))

    totals = uptime_math.total(UptimeDay.objects.filter(component=component))
    assert totals.operational == pytest.approx(600, abs=5)
    assert totals.major_outage == pytest.approx(120, abs=5)
    assert totals.no_data == 0


# --- Public pages: GET /


def bar_blocks(html: str) -> list[list[tuple[str, str]]]:
    """(class, title) of each segment, one list per uptime bar on the page."""
    blocks = re.findall(r'<div class="bars"[^>]*>(.*?)</div>', html, re.S)
    return [re.findall(r'<span class="(\w+)" title="([^"]*)"></span>', block) for block in blocks]


def label(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def add_day(component: Component, day: date, **seconds: float) -> UptimeDay:
    return UptimeDay.objects.create(component=component, day=day, **seconds)


def test_the_status_page_shows_a_90_day_bar_per_component(client, component, probe):
    """A component whose probe has not reported yet has no data, today included."""
    Component.objects.create(name="Public API", position=2)

    blocks = bar_blocks(client.get("/").text)

    assert [len(block) for block in blocks] == [90, 90]
    today = timezone.now().date()
    assert blocks[0][0] == ("nodata", f"{label(today - timedelta(days=89))}: no data")
    assert blocks[0][-1] == ("nodata", f"{label(today)}: no data")


def test_a_bar_segment_tells_the_days_uptime_and_minutes_down(client, component, probe):
    today = timezone.now().date()
    outage, partial, slow, planned = (today - timedelta(days=n) for n in (3, 5, 7, 9))
    add_day(component, outage, operational=DAY - FIVE_H_8_MIN, major_outage=FIVE_H_8_MIN)
    add_day(component, partial, operational=DAY - 7200, partial_outage=7200)
    add_day(component, slow, operational=DAY - 3600, degraded_performance=3600)
    add_day(component, planned, under_maintenance=DAY)
    add_day(component, today - timedelta(days=1), operational=DAY)

    [block] = bar_blocks(client.get("/").text)
    by_day = {today - timedelta(days=89 - i): segment for i, segment in enumerate(block)}

    assert by_day[outage] == (
        "major",
        f"{label(outage)}: {floor_percent(FIVE_H_8_MIN, DAY)} uptime, 5 h 8 min down",
    )
    assert floor_percent(FIVE_H_8_MIN, DAY) == "78.61%"
    assert by_day[partial] == (  # 30% of 2 h
        "partial",
        f"{label(partial)}: 97.50% uptime, 36 min down (2 h partial outage)",
    )
    assert by_day[slow] == ("degraded", f"{label(slow)}: 100% uptime, 0 min down, 1 h degraded")
    assert by_day[planned] == ("maintenance", f"{label(planned)}: maintenance")
    assert by_day[today - timedelta(days=1)] == (
        "ok",
        f"{label(today - timedelta(days=1))}: 100% uptime, 0 min down",
    )
    assert by_day[today] == ("nodata", f"{label(today)}: no data")


def test_the_status_page_shows_30_and_90_day_uptime(client, component, probe):
    today = timezone.now().date()
    add_day(component, today - timedelta(days=2), operational=DAY - FIVE_H_8_MIN, major_outage=FIVE_H_8_MIN)
    add_day(component, today - timedelta(days=60), operational=DAY)
    add_day(component, today - timedelta(days=120), major_outage=DAY)  # outside both windows

    text = client.get("/").text

    in_30 = floor_percent(FIVE_H_8_MIN, DAY)
    in_90 = floor_percent(FIVE_H_8_MIN, 2 * DAY)
    assert (in_30, in_90) == ("78.61%", "89.30%")
    assert f"{in_30} (30 d) · {in_90} (90 d)" in text
    assert f'aria-label="90-day uptime, {in_90}"' in text


def test_the_status_page_says_no_data_for_a_component_whose_probe_never_reported(client, component, probe):
    assert "no data (30 d) · no data (90 d)" in client.get("/").text


# --- Public pages: GET /components/<id>/


def month_rows(html: str) -> list[tuple[str, str, str]]:
    return re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", html)


def last_past_31_day_month(today: date) -> date:
    month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    while calendar.monthrange(month.year, month.month)[1] != 31:
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def test_the_component_page_shows_monthly_uptime_with_down_totals(client, component):
    today = timezone.now().date()
    Component.objects.filter(pk=component.pk).update(
        created_at=timezone.now() - timedelta(days=400), accounted_until=timezone.now()
    )
    month = last_past_31_day_month(today)
    days = [month + timedelta(days=n) for n in range(31)]
    UptimeDay.objects.bulk_create([UptimeDay(component=component, day=day, operational=DAY) for day in days])
    UptimeDay.objects.filter(component=component, day=days[12]).update(
        operational=DAY - FIVE_H_8_MIN, major_outage=FIVE_H_8_MIN
    )
    # This month so far: today, whose 10 h of partial outage count as 3 h down of the whole day.
    UptimeDay.objects.update_or_create(
        component=component, day=today, defaults={"operational": 3600, "partial_outage": 36_000}
    )

    response = client.get(f"/components/{component.pk}/")

    assert response.status_code == 200
    rows = month_rows(response.text)
    assert len(rows) == 12
    assert rows[0] == (f"{today:%B %Y}", floor_percent(10_800, DAY), "3 h down")
    assert (f"{month:%B %Y}", "99.31%", "5 h 8 min down") == rows[
        (today.year - month.year) * 12 + today.month - month.month
    ]
    assert ("no data", "-") in {(uptime_, down) for _, uptime_, down in rows}


def test_the_component_page_lists_no_months_before_the_component_existed(client, component):
    today = timezone.now().date()
    created = (today.replace(day=1) - timedelta(days=1)).replace(day=1)  # last month
    Component.objects.filter(pk=component.pk).update(created_at=utc(created.year, created.month, 1, 12))

    rows = month_rows(client.get(f"/components/{component.pk}/").text)

    assert [month for month, _, _ in rows] == [f"{today:%B %Y}", f"{created:%B %Y}"]


def test_the_component_page_draws_a_latency_line_per_location_for_an_http_probe(client, component):
    probe = Probe.objects.create(
        component=component, name="https", kind=ProbeKind.HTTP, url="https://example.com/"
    )
    now = timezone.now()
    ProbeResult.objects.bulk_create(
        [
            ProbeResult(
                probe=probe,
                ok=True,
                latency_ms=80 + n,
                location=location,
                observed_at=now - timedelta(minutes=15 * n),
            )
            for location in ("eu-west", "us-east")
            for n in range(1, 20)
        ]
        + [
            ProbeResult(
                probe=probe,
                ok=True,
                latency_ms=9999,
                location="ap-south",
                observed_at=now - timedelta(hours=30),
            )
        ]
    )

    text = client.get(f"/components/{component.pk}/").text

    assert "Response time, last 24 h" in text
    svg = re.search(r"<svg\b.*?</svg>", text, re.S).group(0)
    assert svg.count("<polyline") == 2
    assert "<title>eu-west</title>" in svg
    assert "<title>us-east</title>" in svg
    assert "ap-south" not in text  # older than 24 h
    assert "Peak 99.0 ms" in text


def test_an_http_probe_without_recent_results_shows_an_empty_chart(client, component):
    Probe.objects.create(component=component, name="https", kind=ProbeKind.HTTP, url="https://example.com/")

    text = client.get(f"/components/{component.pk}/").text

    assert "No measurements in this window." in text
    assert "<svg" not in text


def test_a_component_whose_probes_report_no_latency_has_no_latency_chart(client, component, probe):
    ProbeResult.objects.create(probe=probe, ok=True, location="eu-west", observed_at=timezone.now())

    text = client.get(f"/components/{component.pk}/").text

    assert "Response time" not in text
    assert "<svg" not in text


def test_an_unknown_component_is_404(client, db):
    assert client.get("/components/999999/").status_code == 404


# --- Retention


def test_pruning_deletes_only_results_older_than_the_window_in_batches_and_keeps_rollups(component, probe):
    now = timezone.now()
    old = [now - timedelta(days=31, minutes=n) for n in range(8)]
    recent = [now - timedelta(days=29), now - timedelta(days=1), now - timedelta(minutes=1), now]
    ProbeResult.objects.bulk_create(
        [ProbeResult(probe=probe, ok=True, location="eu-west", observed_at=at) for at in old + recent]
    )
    for n in range(3):
        add_day(component, now.date() - timedelta(days=40 + n), operational=DAY - n, major_outage=n)
    rollups = list(UptimeDay.objects.order_by("day").values())

    with CaptureQueriesContext(connection) as queries:
        deleted = retention.prune_results(30, batch=3)

    assert deleted == 8
    assert sorted(ProbeResult.objects.values_list("observed_at", flat=True)) == sorted(recent)
    deletes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("DELETE")]
    assert len(deletes) == 3  # 3 + 3 + 2
    assert list(UptimeDay.objects.order_by("day").values()) == rollups


def test_pruning_stops_after_max_batches_and_the_next_run_continues(component, probe):
    old = timezone.now() - timedelta(days=60)
    ProbeResult.objects.bulk_create(
        [ProbeResult(probe=probe, ok=False, observed_at=old + timedelta(minutes=n)) for n in range(8)]
    )

    assert retention.prune_results(30, batch=3, max_batches=2) == 6
    assert ProbeResult.objects.count() == 2
    # Oldest first: what is left is the newest of the old.
    assert min(ProbeResult.objects.values_list("observed_at", flat=True)) == old + timedelta(minutes=6)

    assert retention.prune_results(30, batch=3) == 2
    assert not ProbeResult.objects.exists()


def test_pruning_with_nothing_old_deletes_nothing(probe):
    ProbeResult.objects.create(probe=probe, ok=True, observed_at=timezone.now())

    assert retention.prune_results(30, batch=3) == 0
    assert ProbeResult.objects.count() == 1
