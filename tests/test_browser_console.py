"""A responder on a phone-sized browser: declare from a template, update, resolve; the public page follows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connections

from incidents.models import Component, ComponentGroup, IncidentTemplate

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", Path(__file__).resolve().parents[1] / "artifacts"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="needs Debian's chromium (apt-get install chromium)"
    ),
]


@pytest.fixture
def browser(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are still sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
    # ORM calls made while Playwright ran opened their own connection; PostgreSQL can't drop
    # the test database while it is open.
    connections.close_all()


def test_a_responder_declares_updates_and_resolves_from_a_phone(live_server, browser):
    group = ComponentGroup.objects.create(name="Message queue")
    queue = Component.objects.create(name="Message queue eu-west", group=group)
    Component.objects.create(name="Public API")
    IncidentTemplate.objects.create(
        name="Queue delays",
        title="Delayed messages on {components}",
        body="Messages on {components} are delayed. We are investigating.",
    )
    user = get_user_model().objects.create_user("responder", password="correct-horse-battery")
    user.groups.add(Group.objects.get(name="Responder"))

    phone = {"width": 390, "height": 844}
    console = browser.new_page(viewport=phone)
    public = browser.new_page(viewport=phone)

    console.goto(f"{live_server.url}/console/")
    console.fill("#id_username", "responder")
    console.fill("#id_password", "correct-horse-battery")
    console.click("button[type=submit]")
    console.click("text=Queue delays")
    console.select_option(f"#id_component_{queue.pk}", "major_outage")
    console.click("text=Declare incident >> nth=-1")
    console.wait_for_selector("text=Incident declared")

    public.goto(f"{live_server.url}/")
    assert "Major System Outage" in public.inner_text(".banner")
    assert "Delayed messages on Message queue eu-west" in public.inner_text("body")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "public-page-during-incident.png"
    public.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")

    console.select_option("#id_status", "identified")
    console.fill("#id_body", "A stuck consumer on one shard. Restarting it.")
    console.click("text=Post update")
    console.wait_for_selector("text=Update posted")
    public.reload()
    assert "Identified" in public.inner_text("body")
    assert "A stuck consumer on one shard" in public.inner_text("body")

    console.select_option("#id_status", "resolved")
    console.fill("#id_body", "Messages are flowing again.")
    console.click("text=Post update")
    console.wait_for_selector("text=Update posted")
    public.reload()
    assert "All Systems Operational" in public.inner_text(".banner")
    assert "Delayed messages" not in public.inner_text("body")
    queue.refresh_from_db()
    assert queue.status == "operational"
