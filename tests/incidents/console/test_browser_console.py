"""A responder on a phone-sized browser: declare from a template, update, resolve; the public page follows."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from incidents.models import Component, ComponentGroup, IncidentTemplate
from tests.fakes.browser import ARTIFACTS, needs_chromium

pytestmark = needs_chromium


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
