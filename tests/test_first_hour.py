"""The first hour as a person meets it, in chromium at phone size, on the real stack.

Open the page, subscribe and confirm from the received mail, pick one component and one event
kind, push failures with the README's request, watch the component go red and the incident
appear, see it resolve itself after recovery, and receive exactly what was picked.
"""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import urlsplit

import pytest
import requests

from incidents import tasks
from incidents.models import Component, ComponentGroup, Incident, IncidentStatus, Probe
from notifications.models import Subscriber
from tests.fakes.browser import ARTIFACTS, needs_chromium
from tests.fakes.worker import wait_for

pytestmark = [*needs_chromium, pytest.mark.e2e]
PHONE = {"width": 390, "height": 844}


def readme_push(live_server, probe: Probe, ok: bool) -> int:
    """The README's curl line, as a probe would send it."""
    response = requests.post(
        f"{live_server.url}/api/v1/probes/{probe.pk}/results",
        headers={"Authorization": f"Bearer {probe.secret}", "Content-Type": "application/json"},
        json={"ok": ok, "latency_ms": 83, "location": "us-east", "message": "ok" if ok else "HTTP 503"},
        timeout=30,
    )
    return response.status_code


def test_the_first_hour_from_the_page_to_exactly_the_message_picked(
    delivery_worker, live_server, smtp_server, browser, settings
):
    worker_site = settings.SITE_URL
    settings.SITE_URL = live_server.url
    settings.SIGNUP_LIMIT_PER_IP = (10_000, 3600)
    settings.CONFIRMATIONS_PER_DESTINATION = (10_000, 3600)
    settings.AUTO_RESOLVE_AFTER_SECONDS = 0
    settings.SNAPSHOTS_ENABLED = False  # each reload shows the database as it is now
    group = ComponentGroup.objects.create(name="Message queue", position=1)
    queue = Component.objects.create(name="Message queue eu-west", group=group, auto_publish=True)
    Component.objects.create(name="Public API", position=2)
    probe = Probe.objects.create(component=queue, name="push", failure_threshold=2)
    address = f"reader-{uuid.uuid4().hex[:8]}@example.test"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=PHONE)

    def shot(name: str) -> None:
        path = ARTIFACTS / f"first-hour-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        print(f"  screenshot: {path}")

    print("1. The status page")
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("text=All Systems Operational")
    print("  banner: All Systems Operational")
    shot("1-page")

    print("2. Subscribe by email, confirm from the mail that arrived")
    page.goto(f"{live_server.url}/subscribe/")
    page.fill("#id_email", address)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Check your email")
    mails = wait_for(lambda: [m for m in smtp_server.messages if m["To"] == address])
    assert mails, "the confirmation email never arrived"
    link = re.search(r"https?://\S+/subscribe/confirm/\S+/", mails[0].get_body(("plain",)).get_content())
    assert link and link.group(0).startswith(worker_site)
    page.goto(live_server.url + urlsplit(link.group(0)).path)
    page.wait_for_selector("text=You're subscribed")
    print(f"  confirmed {address}")

    print("3. Pick one component and one event kind")
    page.click("text=Choose components and events")
    page.wait_for_selector("text=Your subscription")
    page.get_by_label("Message queue eu-west", exact=True).check()
    for box in page.locator("input[name=event_kinds]").all():
        box.uncheck()
    page.get_by_label("Incident resolved", exact=True).check()
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Saved.")
    page.reload()
    assert page.get_by_label("Message queue eu-west", exact=True).is_checked()
    assert not page.get_by_label("Public API", exact=True).is_checked()
    assert page.get_by_label("Incident resolved", exact=True).is_checked()
    assert not page.get_by_label("Incident created", exact=True).is_checked()
    subscriber = Subscriber.objects.get(email=address)
    assert (subscriber.all_components, list(subscriber.components.all())) == (False, [queue])
    assert subscriber.event_kinds == ["incident.resolved"]
    print("  stored: Message queue eu-west, incident resolved only")
    shot("3-manage")

    print("4. Push two failures with the README's request")
    assert [readme_push(live_server, probe, ok=False) for _ in range(2)] == [201, 201]
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("text=Major System Outage")
    incident = Incident.objects.get(auto_created=True)
    assert page.locator(f"text={incident.name}").count() >= 1
    print(f"  component: major outage; incident on the page: {incident.name!r}")
    shot("4-outage")

    print("5. The probe recovers; the incident resolves itself")
    assert readme_push(live_server, probe, ok=True) == 201
    time.sleep(1)
    tasks.resolve_recovered_incidents()  # what beat runs every 30 s
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("text=All Systems Operational")
    print(f"  incident {incident.status}; banner: All Systems Operational")
    shot("5-resolved")

    print("6. Exactly the message picked arrives, once")

    def alerts():
        return [m for m in smtp_server.messages if m["To"] == address and m is not mails[0]]

    assert wait_for(alerts, timeout=60), "the resolved email never arrived"
    time.sleep(3)  # room for a duplicate, or an unwanted message, to show up
    received = alerts()
    print(f"  emails after confirming: {[m['Subject'] for m in received]}")
    assert len(received) == 1
    assert incident.name in received[0]["Subject"]
    text = received[0].get_body(("plain",)).get_content()
    assert "Resolved" in text and "Message queue eu-west" in text and "QuerySet" not in text
