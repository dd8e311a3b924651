"""A visitor on a phone subscribes, picks two components, and hears only about incidents on them."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import urlsplit

from incidents.models import Component, ComponentGroup, Incident
from incidents.timeline.incident_lifecycle import open_incident
from notifications.models import Delivery, DeliveryStatus, FanOut, Subscriber
from tests.fakes.browser import ARTIFACTS, needs_chromium
from tests.fakes.worker import wait_for

pytestmark = needs_chromium


def on_live_server(url: str, live_server) -> str:
    """The same path and token on the test's live server (the worker writes links for SITE_URL)."""
    parts = urlsplit(url)
    return live_server.url + parts.path + (f"?{parts.query}" if parts.query else "")


def test_a_visitor_picks_two_components_and_gets_mail_only_about_them(
    delivery_worker, live_server, smtp_server, browser, settings
):
    worker_site = settings.SITE_URL  # what the worker puts in its links
    # The web process knows its own address; the worker keeps the one it started with.
    settings.SITE_URL = live_server.url
    # Rate-limit counters live in Redis, which outlives test runs.
    settings.SIGNUP_LIMIT_PER_IP = (10_000, 3600)
    settings.CONFIRMATIONS_PER_DESTINATION = (10_000, 3600)
    queue = ComponentGroup.objects.create(name="Message queue", position=1)
    data = ComponentGroup.objects.create(name="Data stores", position=2)
    eu_west = Component.objects.create(name="Message queue eu-west", group=queue, position=1)
    Component.objects.create(name="Message queue us-east", group=queue, position=2)
    cache = Component.objects.create(name="Cache", group=data, position=3)
    api = Component.objects.create(name="Public API", position=4)
    address = f"visitor-{uuid.uuid4().hex[:8]}@example.test"

    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{live_server.url}/subscribe/")
    page.fill("#id_email", address)
    page.click("button[type=submit]")
    page.wait_for_selector("text=Check your email")

    confirmations = wait_for(lambda: [m for m in smtp_server.messages if m["To"] == address])
    assert confirmations, "the confirmation email never reached the SMTP server"
    body = confirmations[0].get_body(("plain",)).get_content()
    link = re.search(r"https?://\S+/subscribe/confirm/\S+/", body).group(0)
    assert link.startswith(worker_site)
    page.goto(on_live_server(link, live_server))
    page.wait_for_selector("text=You're subscribed")
    subscriber = Subscriber.objects.get(email=address)
    assert subscriber.email_confirmed_at is not None

    page.click("text=Choose components and events")
    page.wait_for_selector("text=Your subscription")
    assert page.url.startswith(f"{live_server.url}/subscribe/manage/")
    page.get_by_label("Only the components I pick").check()
    page.get_by_label("Message queue eu-west", exact=True).check()
    page.get_by_label("Cache", exact=True).check()
    page.click("button:has-text('Save')")
    page.wait_for_selector("text=Saved.")
    assert page.get_by_label("Message queue eu-west", exact=True).is_checked()
    assert page.get_by_label("Cache", exact=True).is_checked()
    assert not page.get_by_label("Public API", exact=True).is_checked()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "subscription-manage-page.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    subscriber.refresh_from_db()
    assert subscriber.all_components is False
    assert set(subscriber.components.all()) == {eu_west, cache}

    # Staff declare two incidents, as the console does.
    ours = open_incident(
        Incident(name="Messages delayed in eu-west", impact="major"),
        "We are investigating delayed deliveries.",
        components=[eu_west],
    )
    theirs = open_incident(
        Incident(name="Public API returning errors", impact="major"),
        "We are investigating elevated error rates.",
        components=[api],
    )

    def incident_mails():
        return [
            m
            for m in smtp_server.messages
            if m["To"] == address and not m["Subject"].startswith("Confirm your subscription")
        ]

    assert wait_for(incident_mails, timeout=60), "no incident email arrived"
    time.sleep(3)  # room for a duplicate, or the other incident's mail, to show up
    mails = incident_mails()
    about_ours = [m for m in mails if ours.name in m["Subject"]]
    about_theirs = [m for m in smtp_server.messages if theirs.name in m["Subject"]]
    print(
        f"incident emails: {len(mails)}, about {ours.name!r}: {len(about_ours)}, "
        f"about {theirs.name!r}: {len(about_theirs)}"
    )
    assert len(mails) == 1
    assert len(about_ours) == 1
    assert about_theirs == []
    text = about_ours[0].get_body(("plain",)).get_content()
    assert f"{worker_site}/incidents/{ours.pk}/" in text
    assert str(about_ours[0]["List-Unsubscribe"]).strip().startswith(f"<{worker_site}/unsubscribe/")
    assert wait_for(
        lambda: Delivery.objects.filter(event__incident=ours, status=DeliveryStatus.SENT).count() == 1
    )
    # The other incident's fan-out ran to the end and chose nobody.
    assert wait_for(lambda: FanOut.objects.filter(event__incident=theirs, finished_at__isnull=False).exists())
    assert not Delivery.objects.filter(event__incident=theirs).exists()
