"""A responder on a phone logs in and declares a general incident (no component) in a few taps."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from incidents.models import Component, ComponentGroup, Incident
from tests.fakes.browser import ARTIFACTS, needs_chromium

pytestmark = needs_chromium

PHONE = {"width": 390, "height": 844}
BOX_STYLE = """el => { const s = getComputedStyle(el), r = el.getBoundingClientRect();
  return [r.width, r.height, s.borderTopWidth, s.borderTopColor, s.borderRadius, s.paddingLeft,
          s.fontSize]; }"""
TOP = "el => el.getBoundingClientRect().top"


def test_a_responder_declares_a_general_incident_from_a_phone(live_server, browser):
    queue = ComponentGroup.objects.create(name="Message queue")
    for name in ["Public API", "Webhooks", "Worker backend", "Cache"]:
        Component.objects.create(name=name)
    for name in ["Message queue us-east", "Message queue eu-west"]:
        Component.objects.create(name=name, group=queue)
    user = get_user_model().objects.create_user("responder", password="correct-horse-battery")
    user.groups.add(Group.objects.get(name="Responder"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/console/")
    assert "Example Status" in page.title() and "localhost" not in page.title()
    username, password = (page.eval_on_selector(box, BOX_STYLE) for box in ("#id_username", "#id_password"))
    assert username == password
    page.fill("#id_username", "responder")
    page.fill("#id_password", "correct-horse-battery")
    page.click("button[type=submit]")

    page.click("text=New incident")
    page.wait_for_selector("#id_name")
    page.screenshot(path=str(ARTIFACTS / "console-declare-phone.png"), full_page=True)
    # Nothing wider than the phone, and every control within it.
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    for box in page.eval_on_selector_all(
        "form input, form select, form textarea, form button",
        "els => els.map(e => e.getBoundingClientRect().right)",
    ):
        assert box <= PHONE["width"]
    # The title has the keyboard; what must be typed comes before the list of components.
    assert page.evaluate("document.activeElement.id") == "id_name"
    assert page.eval_on_selector("#id_body", TOP) < page.eval_on_selector(".component-statuses select", TOP)
    # One component row is one line: label beside its select.
    label = page.eval_on_selector(".component-statuses label span", TOP)
    select = page.eval_on_selector(".component-statuses label select", TOP)
    assert abs(label - select) < 20
    # The submit button is a thumb-sized target across the form.
    width, height = page.eval_on_selector(
        "button.submit", "el => [el.getBoundingClientRect().width, el.getBoundingClientRect().height]"
    )
    assert height >= 44 and width >= 300

    page.fill("#id_name", "Delayed notification emails")
    page.fill("#id_body", "Some emails reach subscribers late. We are looking into it.")
    page.click("button.submit")
    page.wait_for_selector("text=Incident declared")
    page.screenshot(path=str(ARTIFACTS / "console-declared-phone.png"), full_page=True)

    incident = Incident.objects.get()
    assert incident.name == "Delayed notification emails"
    assert list(incident.components.all()) == [] and incident.impact == "none" and incident.is_published
    assert "Impact: None" in page.inner_text("main")
