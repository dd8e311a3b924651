"""Every page a visitor or staff member opens runs under a Content-Security-Policy with no inline
code allowed, and breaks none of it: chromium reports no violation on any of them."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from incidents.models import Component, ComponentGroup, Incident, Probe
from incidents.timeline.incident_lifecycle import open_incident
from notifications.delivery import subscriber_links
from notifications.models import Subscriber
from tests.fakes.browser import needs_chromium

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]
SCREENS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


def test_every_response_carries_a_policy_without_unsafe_inline(client, db):
    for path in ["/", "/history/", "/subscribe/", "/console/login/", "/api/v2/summary.json", "/nope/"]:
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


@pytest.fixture
def site(settings):
    settings.SNAPSHOTS_ENABLED = False
    group = ComponentGroup.objects.create(name="Message queue")
    queue = Component.objects.create(name="Message queue eu-west", group=group)
    Probe.objects.create(component=queue, name="push")
    incident = open_incident(Incident(name="Messages delayed"), "Looking into it.", components=[queue])
    subscriber = Subscriber.objects.create(email="reader@example.com", email_confirmed_at=timezone.now())
    admin = get_user_model().objects.create_superuser("admin", "", "pw-for-tests-only")
    return {"component": queue, "incident": incident, "subscriber": subscriber, "admin": admin}


def public_paths(site) -> list[str]:
    return [
        "/",
        f"/components/{site['component'].pk}/",
        site["incident"].get_absolute_url(),
        "/history/",
        "/subscribe/",
        urlsplit(subscriber_links.manage_url(site["subscriber"])).path,
        "/no-such-page/",
        reverse("console-login"),
    ]


def staff_paths(site) -> list[str]:
    incident = site["incident"]
    return [
        reverse("console"),
        reverse("console-declare"),
        reverse("console-incident", args=[incident.pk]),
        reverse("console-maintenance"),
        reverse("console-audit"),
        reverse("console-events"),
        reverse("console-subscribers"),
        reverse("console-subscribers-import"),
        reverse("console-security"),
        "/admin/",
        "/admin/incidents/incident/",
        f"/admin/incidents/incident/{incident.pk}/change/",
        "/admin/incidents/probe/add/",
    ]


@pytest.mark.parametrize("screen", SCREENS)
def test_no_page_breaks_the_policy(live_server, browser, site, screen):
    client = Client()
    client.force_login(site["admin"])
    anonymous = browser.new_context(viewport=SCREENS[screen])
    staff = browser.new_context(viewport=SCREENS[screen])
    staff.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    report = {}
    for context, paths in ((anonymous, public_paths(site)), (staff, staff_paths(site))):
        for path in paths:
            page = context.new_page()
            seen: list[str] = []
            page.on(
                "console", lambda m, seen=seen: seen.append(m.text) if "Content Security" in m.text else None
            )
            page.goto(live_server.url + path)
            page.wait_for_load_state("load")
            report[path] = seen
            page.close()
    for path, seen in report.items():
        print(f"{screen} {path}: {len(seen)} CSP violations" + (f": {seen[0][:160]}" if seen else ""))
    assert {path: seen for path, seen in report.items() if seen} == {}
