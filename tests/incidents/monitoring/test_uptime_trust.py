"""Uptime a visitor can trust (issue 11): the time not yet credited counts, a day is never judged on a
sliver of data, and every page shows the same figure from the same function."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from incidents.models import Component, ComponentStatus, Probe, UptimeDay
from incidents.monitoring.component_status import set_component_status
from incidents.monitoring.rollups import credit_uptime

DAY = 86_400
METHOD = "Uptime counts each day since monitoring began as 24 hours"


def bar_blocks(html: str) -> list[list[tuple[str, str]]]:
    blocks = re.findall(r'<div class="bars"[^>]*>(.*?)</div>', html, re.S)
    return [re.findall(r'<span class="(\w+)" title="([^"]*)"></span>', block) for block in blocks]


def windows(html: str) -> list[str]:
    """Every "x% (30 d) · y% (90 d)" figure on a page."""
    return re.findall(r"((?:[\d.]+%|no data) \(30 d\) · (?:[\d.]+%|no data) \(90 d\))", html)


@pytest.fixture
def noon(monkeypatch) -> datetime:
    """Freeze the clock at noon UTC today, so figures do not move while a test reads them."""
    moment = datetime.combine(timezone.now().date(), time(12), tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def existed_since(component: Component, moment: datetime) -> Component:
    Component.objects.filter(pk=component.pk).update(created_at=moment)
    component.refresh_from_db()
    return component


def test_right_after_an_outage_begins_today_is_red_and_not_100_percent(client, component):
    existed_since(component, timezone.now() - timedelta(days=3))
    credit_uptime(component, timezone.now())

    set_component_status(component, ComponentStatus.MAJOR_OUTAGE)
    [block] = bar_blocks(client.get("/").text)

    assert block[-1][0] == "major"
    assert "100%" not in block[-1][1]
    [figures] = windows(client.get("/").text)
    assert not figures.startswith("100%")


def test_the_minutes_not_yet_credited_show_in_todays_bar_and_figures(client, component, noon):
    """Rollups are credited at most every minute; the stretch since then is read as the current status."""
    existed_since(component, noon - timedelta(days=2))
    credit_uptime(component, noon - timedelta(minutes=10))
    set_component_status(component, ComponentStatus.MAJOR_OUTAGE, now=noon - timedelta(minutes=10))

    text = client.get("/").text

    [block] = bar_blocks(text)
    assert block[-1] == ("major", f"{noon:%b} {noon.day}, {noon.year}: 99.30% uptime, 10 min down")
    # 10 min down over 3 days since monitoring began (today counts as a whole day).
    assert windows(text) == ["99.76% (30 d) · 99.76% (90 d)"]


def test_a_three_minute_outage_on_a_fresh_install_does_not_read_as_a_collapse(client, component, noon):
    existed_since(component, noon - timedelta(minutes=5))
    set_component_status(component, ComponentStatus.MAJOR_OUTAGE, now=noon - timedelta(minutes=4))
    set_component_status(component, ComponentStatus.OPERATIONAL, now=noon - timedelta(minutes=1))

    text = client.get("/").text

    [block] = bar_blocks(text)
    assert block[-1] == ("major", f"{noon:%b} {noon.day}, {noon.year}: 99.79% uptime, 3 min down")
    assert all(kind == "nodata" for kind, _ in block[:-1])  # before the component existed
    assert windows(text) == ["99.79% (30 d) · 99.79% (90 d)"]


def test_a_day_without_data_is_left_out_and_a_day_with_little_data_is_judged_on_the_whole_day(
    client, component, noon
):
    today = noon.date()
    existed_since(component, noon - timedelta(days=5))
    Probe.objects.create(component=component, name="push", last_result_at=noon - timedelta(days=4))
    UptimeDay.objects.bulk_create(
        [
            UptimeDay(
                component=component, day=today - timedelta(days=5), no_data=DAY / 2, operational=DAY / 2
            ),
            UptimeDay(
                component=component, day=today - timedelta(days=4), no_data=DAY - 600, major_outage=600
            ),
            UptimeDay(component=component, day=today - timedelta(days=3), no_data=DAY),
        ]
    )
    Component.objects.filter(pk=component.pk).update(accounted_until=noon)

    [block] = bar_blocks(client.get("/").text)

    days_ago = {89 - i: segment for i, segment in enumerate(block)}
    assert days_ago[3][0] == "nodata"
    # 10 min down in the only 10 min measured that day: 0%, and said so, not hidden.
    assert days_ago[4][1].endswith(": 0.00% uptime, 10 min down")
    assert days_ago[5][1].endswith(": 100% uptime, 0 min down")


def test_a_partial_outage_day_tells_the_weighted_minutes_down_and_the_outage_itself(client, component):
    today = timezone.now().date()
    UptimeDay.objects.create(
        component=component, day=today - timedelta(days=2), operational=DAY - 7200, partial_outage=7200
    )

    [block] = bar_blocks(client.get("/").text)

    assert block[-3][1].endswith(": 97.50% uptime, 36 min down (2 h partial outage)")


def test_the_status_page_the_component_page_and_history_show_the_same_figures(client, component, noon):
    today = noon.date()
    existed_since(component, noon - timedelta(days=120))
    UptimeDay.objects.bulk_create(
        [
            UptimeDay(component=component, day=today - timedelta(days=n), operational=DAY)
            for n in range(1, 100)
        ]
    )
    UptimeDay.objects.filter(component=component, day=today - timedelta(days=40)).update(
        operational=DAY - 3000, major_outage=3000
    )
    Component.objects.filter(pk=component.pk).update(accounted_until=noon - timedelta(hours=12))
    component.refresh_from_db()
    set_component_status(component, ComponentStatus.PARTIAL_OUTAGE, now=noon - timedelta(minutes=50))

    pages = {path: client.get(path).text for path in ("/", f"/components/{component.pk}/", "/history/")}

    figures = {path: windows(text) for path, text in pages.items()}
    assert figures == {path: ["99.96% (30 d) · 99.94% (90 d)"] for path in pages}
    assert bar_blocks(pages["/"]) == bar_blocks(pages[f"/components/{component.pk}/"])
    for text in pages.values():
        assert METHOD in text


def test_the_month_on_the_component_page_is_counted_the_same_way(client, component, noon):
    today = noon.date()
    existed_since(component, noon - timedelta(minutes=5))
    set_component_status(component, ComponentStatus.MAJOR_OUTAGE, now=noon - timedelta(minutes=4))
    set_component_status(component, ComponentStatus.OPERATIONAL, now=noon - timedelta(minutes=1))

    text = client.get(f"/components/{component.pk}/").text

    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", text)
    assert rows == [(f"{today:%B %Y}", "99.79%", "3 min down")]
