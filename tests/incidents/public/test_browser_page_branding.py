"""The demo's branded pages in chromium: no CSP violation on any of their pages, the brand applied,
and screenshots of both pages at desktop and phone size for a person to look at."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from incidents.models import Component, Incident, StatusPage
from tests.fakes.browser import ARTIFACTS, needs_chromium

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]
SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}
SHOTS = ARTIFACTS / "pages"


@pytest.fixture
def demo(settings):
    settings.SNAPSHOTS_ENABLED = False
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # again: nothing doubles
    assert StatusPage.objects.filter(slug__in=["payments", "internal"]).count() == 2
    payments = StatusPage.objects.get(slug="payments")
    assert payments.components.count() == 3
    assert StatusPage.objects.get(slug="internal").components.count() == Component.objects.count()
    return payments


def paths(payments: StatusPage) -> list[str]:
    component = payments.components.order_by("pk").first()
    incident = Incident.objects.filter(components=component).order_by("pk").first()
    return [
        "/",
        "/p/payments/",
        f"/p/payments/components/{component.pk}/",
        f"/p/payments/incidents/{incident.pk}/",
        "/p/payments/history/",
        "/p/payments/subscribe/",
    ]


@pytest.mark.parametrize("screen", SCREENS)
def test_branded_pages_break_no_policy_and_wear_their_brand(live_server, browser, demo, screen):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=SCREENS[screen])
    report = {}
    for path in paths(demo):
        page = context.new_page()
        seen: list[str] = []
        page.on("console", lambda m, seen=seen: seen.append(m.text) if "Content Security" in m.text else None)
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        report[path] = seen
        if path.startswith("/p/payments/"):
            # The accent colour reaches the button, and the logo loaded (an SVG, as an image).
            button = page.eval_on_selector("header .button", "e => getComputedStyle(e).backgroundColor")
            assert button == "rgb(107, 70, 193)", path
            assert page.eval_on_selector("header img.logo", "e => e.complete && e.naturalWidth > 0"), path
            assert page.get_attribute("header img.logo", "alt") == "Example Payments"
        else:
            button = page.eval_on_selector("header .button", "e => getComputedStyle(e).backgroundColor")
            assert button == "rgb(43, 108, 176)"  # the site's own blue
        name = {"/": "default", "/p/payments/": "payments"}.get(path)
        if name:
            page.screenshot(path=str(SHOTS / f"{name}-{screen}.png"), full_page=True)
        page.close()
    for path, seen in report.items():
        print(f"{screen} {path}: {len(seen)} CSP violations" + (f": {seen[0][:160]}" if seen else ""))
    assert {path: seen for path, seen in report.items() if seen} == {}
