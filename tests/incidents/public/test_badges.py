"""Badges: SVG in shields' styles and shields.io endpoint JSON, per page, cached until the page changes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from incidents.models import (
    Component,
    ComponentStatus,
    Incident,
    PageAccess,
    PageComponent,
    PageHost,
    StatusPage,
    UptimeDay,
)
from incidents.monitoring.component_status import set_component_status
from incidents.public import badges, snapshot_store, snapshots
from incidents.public.badge_views import SVG_POLICY
from incidents.public.page_routing import page_index
from incidents.public.uptime_bars import uptime_of
from incidents.timeline.incident_lifecycle import open_incident

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
OTHER_HOST = "status.other.example"


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "image/svg+xml"
    root = ET.fromstring(response.content)  # noqa: S314 - our own output, parsed as a client would
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def title_of(root: ET.Element) -> str:
    title = root.find(f"{SVG}title")
    assert title is not None and root.get("aria-label") == title.text
    return title.text


def fills(root: ET.Element) -> set[str]:
    return {rect.get("fill") for rect in root.iter(f"{SVG}rect")}


def texts(root: ET.Element) -> list[str]:
    """The visible texts (not the shadows screen readers skip)."""
    return [t.text for t in root.iter(f"{SVG}text") if t.get("aria-hidden") != "true"]


@pytest.fixture
def other_page(settings):
    """A second page on its own host with a component the default page does not show."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, OTHER_HOST]
    page = StatusPage.objects.create(name="Other status", slug="other")
    PageHost.objects.create(page=page, host=OTHER_HOST)
    secret = Component.objects.create(name="Other ledger")
    PageComponent.objects.filter(component=secret).delete()
    PageComponent.objects.create(page=page, component=secret)
    return page, secret


@pytest.fixture
def live_snapshots(settings, monkeypatch):
    """Snapshots (and so badge caching) on, against the real Redis, nothing left from other tests."""
    settings.SNAPSHOTS_ENABLED = True
    monkeypatch.setattr(snapshot_store, "_cache_down_until", 0.0)
    monkeypatch.setattr(snapshot_store, "_local", {})
    cache.clear()
    yield
    cache.clear()


# --- drawing


def test_the_width_table_covers_printable_ascii_and_wider_text_draws_wider():
    assert len(badges._ASCII_WIDTHS) == 95
    assert badges.text_width("operational") == pytest.approx(62, abs=1)
    assert badges.text_width("WWW") > badges.text_width("iii")
    assert badges.text_width("日本") > badges.text_width("ab")


def test_text_is_escaped_and_what_xml_cannot_hold_is_dropped():
    svg = badges.render('a<b & "c"\x01', "up\x00 now", "brightgreen")
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    assert title_of(root) == 'a<b & "c": up now'
    assert texts(root) == ['a<b & "c"', "up now"]


def test_an_unknown_style_is_refused_by_the_drawing_too():
    with pytest.raises(ValueError, match="style"):
        badges.render("a", "b", "red", "3d")


# --- the page's badge


def test_the_page_badge_shows_the_page_status_and_changes_with_it(client, component):
    root = parse(client.get("/badge.svg"))
    page = StatusPage.objects.get(is_default=True)
    assert title_of(root) == f"{page.name}: All Systems Operational"
    assert badges.COLOURS["brightgreen"] in fills(root)

    set_component_status(component, ComponentStatus.MAJOR_OUTAGE)

    root = parse(client.get("/badge.svg"))
    assert title_of(root) == f"{page.name}: Major System Outage"
    assert badges.COLOURS["red"] in fills(root) and badges.COLOURS["brightgreen"] not in fills(root)


def test_with_snapshots_off_a_version_left_in_the_cache_never_freezes_a_badge(client, component):
    # Snapshots off: nothing moves the page's snapshot version on, so badges must not be cached by it.
    page = StatusPage.objects.get(is_default=True)
    key = snapshot_store.version_key(snapshots.key_of(page, "/"))
    cache.set(key, 12345.0)
    try:
        assert title_of(parse(client.get("/badge.svg"))).endswith(": All Systems Operational")
        set_component_status(component, ComponentStatus.MAJOR_OUTAGE)
        assert title_of(parse(client.get("/badge.svg"))).endswith(": Major System Outage")
    finally:
        cache.delete(key)


def test_the_page_badge_follows_an_incident_impact(client, component):
    open_incident(Incident(name="Slow queue", impact="minor"), "Looking.", [component])
    root = parse(client.get("/badge.svg"))
    assert title_of(root).endswith(": Minor Service Outage")
    assert badges.COLOURS["yellow"] in fills(root)


# --- a component's badges


def test_a_component_badge_shows_its_status_and_changes_with_it(client, component):
    root = parse(client.get(f"/badge/components/{component.pk}.svg"))
    assert title_of(root) == f"{component.name}: operational"
    assert texts(root) == [component.name, "operational"]
    assert badges.COLOURS["brightgreen"] in fills(root)

    set_component_status(component, ComponentStatus.PARTIAL_OUTAGE)

    root = parse(client.get(f"/badge/components/{component.pk}.svg"))
    assert title_of(root) == f"{component.name}: partial outage"
    assert badges.COLOURS["orange"] in fills(root)


def test_the_uptime_badge_agrees_with_the_component_page_and_is_coloured_by_it(client, component):
    today = timezone.now().date()
    UptimeDay.objects.create(component=component, day=today - timedelta(days=40), operational=86_400)
    UptimeDay.objects.create(
        component=component, day=today - timedelta(days=2), operational=86_400 - 7200, major_outage=7200
    )
    uptime = uptime_of([component])[component.pk]

    thirty = parse(client.get(f"/badge/components/{component.pk}/uptime.svg"))
    ninety = parse(client.get(f"/badge/components/{component.pk}/uptime.svg", {"days": "90"}))

    assert title_of(thirty) == f"{component.name} uptime (30d): {uptime.uptime_30}"
    assert title_of(ninety) == f"{component.name} uptime (90d): {uptime.uptime_90}"
    assert uptime.uptime_30 != uptime.uptime_90
    colour = badges.uptime_colour(uptime.window(30).uptime)
    assert colour != "brightgreen" and badges.COLOURS[colour] in fills(thirty)


def test_uptime_colours_follow_the_thresholds():
    assert [badges.uptime_colour(p) for p in (100, 99.95, 99.5, 98.5, 96, 90, None)] == [
        "brightgreen",
        "brightgreen",
        "green",
        "yellowgreen",
        "yellow",
        "red",
        "lightgrey",
    ]


# --- styles and labels


def test_each_style_draws_valid_svg_and_for_the_badge_is_taller_and_upper_case(client, component):
    url = f"/badge/components/{component.pk}.svg"
    flat = parse(client.get(url, {"style": "flat"}))
    square = parse(client.get(url, {"style": "flat-square"}))
    big = parse(client.get(url, {"style": "for-the-badge"}))

    assert flat.get("height") == square.get("height") == "20" and big.get("height") == "28"
    assert flat.find(f"{SVG}clipPath") is not None and square.find(f"{SVG}clipPath") is None
    assert texts(big) == [component.name.upper(), "OPERATIONAL"]
    assert int(big.get("width")) > int(flat.get("width"))


def test_a_label_replaces_the_default_and_an_empty_one_leaves_the_message_alone(client, component):
    url = f"/badge/components/{component.pk}.svg"
    labelled = parse(client.get(url, {"label": "queue"}))
    bare = parse(client.get(url, {"label": ""}))

    assert title_of(labelled) == "queue: operational" and texts(labelled) == ["queue", "operational"]
    assert title_of(bare) == "operational" and texts(bare) == ["operational"]
    assert int(bare.get("width")) < int(labelled.get("width"))
    assert client.get("/badge.json", {"label": "api"}).json()["label"] == "api"


@pytest.mark.parametrize(
    "path, params, text",
    [
        ("/badge.svg", {"style": "3d"}, b"style must be one of: flat, flat-square, for-the-badge"),
        ("/badge.svg", {"label": "x" * 41}, b"label must be at most 40 characters"),
        ("/badge/components/{pk}.svg", {"style": ""}, b"style must be one of"),
        ("/badge/components/{pk}/uptime.svg", {"days": "7"}, b"days must be one of: 30, 90"),
        ("/badge/components/{pk}/uptime.svg", {"days": "abc"}, b"days must be one of: 30, 90"),
        ("/badge/components/{pk}/uptime.json", {"days": "30.0"}, b"days must be one of: 30, 90"),
    ],
)
def test_bad_options_get_a_400_that_says_why(client, component, path, params, text):
    response = client.get(path.format(pk=component.pk), params)
    assert response.status_code == 400 and text in response.content
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize(
    "path",
    ["/badge/components/0.svg", "/badge/components/99999999999999999999.json", "/badge/components/x.svg"],
)
def test_an_unknown_component_is_a_404(client, component, path):
    assert client.get(path).status_code == 404


def test_another_pages_component_is_a_404_here_and_a_badge_on_its_own_page(client, component, other_page):
    page, secret = other_page
    for suffix in (".svg", ".json", "/uptime.svg", "/uptime.json"):
        assert client.get(f"/badge/components/{secret.pk}{suffix}").status_code == 404
        assert (
            client.get(f"/badge/components/{component.pk}{suffix}", HTTP_HOST=OTHER_HOST).status_code == 404
        )
    on_its_page = parse(client.get(f"/badge/components/{secret.pk}.svg", HTTP_HOST=OTHER_HOST))
    assert title_of(on_its_page) == "Other ledger: operational"
    under_slug = parse(client.get(f"/p/other/badge/components/{secret.pk}.svg"))
    assert title_of(under_slug) == "Other ledger: operational"
    # The other page's badge speaks of its own components only.
    set_component_status(component, ComponentStatus.MAJOR_OUTAGE)
    assert title_of(parse(client.get("/badge.svg", HTTP_HOST=OTHER_HOST))) == (
        "Other status: All Systems Operational"
    )


# --- shields.io endpoint JSON


def test_the_shields_endpoint_json_has_its_keys(client, component):
    set_component_status(component, ComponentStatus.DEGRADED)
    for path, label, message, colour in (
        (f"/badge/components/{component.pk}.json", component.name, "degraded performance", "yellow"),
        ("/badge.json", StatusPage.objects.get(is_default=True).name, "Partially Degraded Service", "yellow"),
    ):
        response = client.get(path)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        assert response.json() == {"schemaVersion": 1, "label": label, "message": message, "color": colour}
        assert response["Access-Control-Allow-Origin"] == "*"
        assert response["Cache-Control"] == "public, max-age=60"
    uptime = client.get(f"/badge/components/{component.pk}/uptime.json", {"days": "90"}).json()
    assert set(uptime) == {"schemaVersion", "label", "message", "color"} and uptime["color"] in badges.COLOURS


# --- headers, methods, queries, caching


def test_an_svg_badge_is_cacheable_by_anyone_and_shut_to_scripts(client, component):
    response = client.get(f"/badge/components/{component.pk}.svg")
    assert response["Cache-Control"] == "public, max-age=60"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SVG_POLICY  # django-csp left it as set


def test_head_and_etags_work_and_other_methods_do_not(client, component):
    url = f"/badge/components/{component.pk}.svg"
    first = client.get(url)
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


def test_a_badge_costs_a_fixed_few_queries(client, component, django_assert_max_num_queries):
    for n in range(5):
        Component.objects.create(name=f"Service {n}")
    open_incident(Incident(name="Slow", impact="minor"), "Looking.", [component])
    page_index()
    with django_assert_max_num_queries(3):
        client.get("/badge.svg")
    with django_assert_max_num_queries(1):
        client.get(f"/badge/components/{component.pk}.svg")
    with django_assert_max_num_queries(3):
        client.get(f"/badge/components/{component.pk}/uptime.svg", {"days": "90"})


def test_with_snapshots_a_badge_is_drawn_once_per_page_version_and_a_change_shows_at_once(
    client, component, live_snapshots, django_assert_num_queries, django_capture_on_commit_callbacks
):
    snapshots.rebuild_all()
    url = f"/badge/components/{component.pk}.svg"
    first = client.get(url)
    page_badge = client.get("/badge.svg", {"style": "flat-square"})
    with django_assert_num_queries(0):
        assert client.get(url).content == first.content
        assert client.get("/badge.svg", {"style": "flat-square"}).content == page_badge.content
        client.get(url, {"ignored": "1"})  # unknown parameters share the entry

    with django_capture_on_commit_callbacks(execute=True):
        set_component_status(component, ComponentStatus.MAJOR_OUTAGE)

    assert title_of(parse(client.get(url))) == f"{component.name}: major outage"
    assert title_of(parse(client.get("/badge.svg", {"style": "flat-square"}))).endswith("Major System Outage")


def test_with_the_cache_down_a_badge_still_draws(client, component, live_snapshots, monkeypatch):
    snapshots.rebuild_all()

    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    set_component_status(component, ComponentStatus.MAJOR_OUTAGE)

    root = parse(client.get(f"/badge/components/{component.pk}.svg"))
    assert title_of(root) == f"{component.name}: major outage"


# --- private pages


def test_a_private_pages_badges_stay_behind_its_gate(staff_client, settings):
    stranger_client = Client()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "private.example.test"]
    page = StatusPage.objects.create(name="Acme internal", slug="internal", access=PageAccess.STAFF)
    PageHost.objects.create(page=page, host="private.example.test")
    secret = Component.objects.create(name="Secret ledger")
    PageComponent.objects.filter(component=secret).delete()
    PageComponent.objects.create(page=page, component=secret)
    paths = [
        "badge.svg",
        "badge.json",
        f"badge/components/{secret.pk}.svg",
        f"badge/components/{secret.pk}.json",
        f"badge/components/{secret.pk}/uptime.svg",
    ]
    for route in paths:
        for host, path in (("private.example.test", f"/{route}"), ("testserver", f"/p/internal/{route}")):
            stranger = stranger_client.get(path, HTTP_HOST=host)
            assert stranger.status_code == 404 and b"Secret" not in stranger.content
            assert b"Acme" not in stranger.content and "Access-Control-Allow-Origin" not in stranger
            staff = staff_client.get(path, HTTP_HOST=host)
            assert staff.status_code == 200
            assert (b"Secret ledger" if "components" in route else b"Acme internal") in staff.content
            assert staff["Cache-Control"] == "private, no-cache"
            assert "Access-Control-Allow-Origin" not in staff
