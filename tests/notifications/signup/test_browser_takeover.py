"""Issue 12 in chromium at phone size: a subscriber, and an attacker signing up their number elsewhere."""

from __future__ import annotations

import re

import pytest

from notifications import tasks
from notifications.models import Subscriber
from notifications.signup import registration
from tests.fakes.browser import ARTIFACTS, needs_chromium

pytestmark = [*needs_chromium, pytest.mark.django_db(transaction=True)]

PHONE_SCREEN = {"width": 390, "height": 844}
NUMBER = "+14155552671"
SHOTS = ARTIFACTS / "issue12-signup"


@pytest.fixture(autouse=True)
def worker(monkeypatch):
    """The live server's queued confirmation tasks run at once, as the worker would."""
    monkeypatch.setattr(registration, "enqueue_safely", lambda name, *args: getattr(tasks, name)(*args))


def code_texted(sms_outbox) -> str:
    return re.search(r"\b\d{6}\b", [m for m in sms_outbox if m.to == NUMBER][-1].body).group(0)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_up(page, live_server, number: str) -> None:
    page.goto(f"{live_server.url}/subscribe/")
    page.fill("#id_phone", number)
    page.click("button[type=submit]")


def test_an_attacker_signing_up_a_subscribed_number_gets_a_new_page_and_no_way_in(
    live_server, browser, sms_outbox, settings
):
    settings.SITE_URL = live_server.url  # the manage link on the confirmed page
    victim = browser.new_context(viewport=PHONE_SCREEN).new_page()
    sign_up(victim, live_server, "(415) 555-2671")
    victim.wait_for_selector("text=Enter the code we texted you")
    victim_page = victim.url
    shot(victim, "1-victim-verify")
    victim_code = code_texted(sms_outbox)
    victim.fill("#id_code", f"{victim_code[:3]} {victim_code[3:]}")
    victim.click("button:has-text('Confirm')")
    victim.wait_for_selector("text=You're subscribed")
    manage = victim.get_attribute("text=Choose components and events", "href")
    shot(victim, "2-victim-confirmed")

    attacker = browser.new_context(viewport=PHONE_SCREEN).new_page()
    sign_up(attacker, live_server, NUMBER)
    attacker.wait_for_selector("text=Enter the code we texted you")
    attacker_page = attacker.url
    assert attacker_page != victim_page
    assert len(sms_outbox) == 2  # a fresh code, texted to the number: to the victim, not the attacker
    shot(attacker, "3-attacker-own-verify-page")

    attacker.fill("#id_code", victim_code)
    attacker.click("button:has-text('Confirm')")
    attacker.wait_for_selector("text=That code is not right.")
    shot(attacker, "4-attacker-victims-old-code-refused")

    response = attacker.goto(victim_page)
    assert response.status == 400
    assert response.headers["cache-control"].count("no-store") == 1
    attacker.wait_for_selector("text=This link is invalid or has expired")
    shot(attacker, "5-attacker-victims-verify-page-is-dead")

    attacker.goto(attacker_page)  # not "back": the last page was a POST's answer, and is never stored
    attacker.wait_for_selector("text=Enter the code we texted you")
    fresh = code_texted(sms_outbox)
    guesses = [f"{n:06d}" for n in range(10) if f"{n:06d}" not in (fresh, victim_code)]
    for guess in guesses[:5]:
        attacker.fill("#id_code", guess)
        attacker.click("button:has-text('Confirm')")
        attacker.wait_for_selector("ul.errorlist")
    assert attacker.locator("text=Too many wrong tries for this code").count() == 1
    shot(attacker, "6-attacker-code-spent-after-5-tries")

    # Even the right code is spent now; nothing the attacker saw names the subscription.
    attacker.fill("#id_code", fresh)
    attacker.click("button:has-text('Confirm')")
    attacker.wait_for_selector("ul.errorlist")
    assert "/subscribe/manage/" not in attacker.content()
    assert manage.split("/")[-2] not in attacker.content()

    sign_up(attacker, live_server, "+44 909 879 0000")
    attacker.wait_for_selector("text=premium-rate number")
    shot(attacker, "7-premium-rate-number-refused")

    victim.goto(manage)
    victim.wait_for_selector("text=Your subscription")
    shot(victim, "8-victim-manage-page-still-theirs")
    assert Subscriber.objects.get(phone=NUMBER).phone_confirmed_at is not None
    assert [m.to for m in sms_outbox] == [NUMBER, NUMBER]  # the victim's code, the attacker's fresh one
