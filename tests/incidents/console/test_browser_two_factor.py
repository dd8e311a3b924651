"""An Admin, with the second factor required, in chromium: sets up an app, recovery codes and a
passkey; logs in with each; a used recovery code is refused; six wrong passwords lock the login."""

from __future__ import annotations

import base64
import time

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.oath import TOTP

from incidents.models import AuditEntry
from tests.fakes.browser import ARTIFACTS, needs_chromium

pytestmark = needs_chromium

SHOTS = ARTIFACTS / "issue12-staff"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PASSWORD = "correct-horse-battery"


def app_code(key: str, steps_ahead: int = 0) -> str:
    totp = TOTP(base64.b32decode(key.replace(" ", "")), 30, 0, 6, 0)
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def test_an_admin_sets_up_and_uses_a_second_factor_and_is_locked_out_after_six_wrong_passwords(
    live_server, browser, settings
):
    settings.STAFF_2FA_REQUIRED = True
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    user = get_user_model().objects.create_user("ada", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="Admin"))
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_page(viewport=PHONE)

    def shot(name: str) -> None:
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)

    def log_in(password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/console/login/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", password)
        page.click("button[type=submit]")

    def log_out() -> None:
        page.click("text=Log out")
        page.wait_for_url(f"{live_server.url}/")

    # The password alone leads to setting up a second factor, and nowhere else.
    log_in()
    page.wait_for_selector("text=Your role needs a second factor")
    shot("01-second-factor-required")
    page.goto(f"{live_server.url}/console/audit/")
    assert "/console/security/" in page.url

    page.click("text=Set up an authenticator app")
    key = page.inner_text("#totp-key")
    assert page.locator(".qr svg").count() == 1
    shot("02-authenticator-app-qr-code")
    page.fill("#id_code", app_code(key))
    page.click("text=Turn it on")
    page.wait_for_selector("text=Authenticator app set up")
    page.click("text=Make new recovery codes")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10
    shot("03-recovery-codes")
    page.click("text=I have saved them")

    # A passkey, made by chromium's virtual authenticator.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    page.click("#passkey-register-button")
    page.wait_for_selector("text=added", timeout=15000)
    assert page.locator("form[action*='/passkey/']").count() == 1
    assert AuditEntry.objects.filter(action="security.passkey.added", actor=user).exists()
    shot("04-sign-in-security")
    log_out()

    # Password, then the app's code (the next one: each code works once).
    log_in()
    page.wait_for_selector("text=Confirm it is you")
    shot("05-second-step")
    page.fill("#id_code", app_code(key, steps_ahead=1))
    page.click("text=Continue")
    page.wait_for_selector("text=Open incidents and drafts")
    log_out()

    # A recovery code works once.
    log_in()
    page.fill("#id_code", codes[0])
    page.click("text=Continue")
    page.wait_for_selector("text=Recovery code used; 9 left")
    shot("06-recovery-code-used")
    log_out()
    log_in()
    page.fill("#id_code", codes[0])
    page.click("text=Continue")
    page.wait_for_selector("text=That code is not right")
    shot("07-recovery-code-refused-the-second-time")

    # The passkey instead.
    page.click("#passkey-verification-button")
    page.wait_for_selector("text=Open incidents and drafts", timeout=15000)
    log_out()

    # Six wrong passwords: the login pauses, and says so.
    for n in range(6):
        log_in(f"wrong-{n}")
    assert "Too many failed logins" in page.inner_text("body")
    log_in()
    assert "Too many failed logins" in page.inner_text("body")
    shot("08-locked-out")
    page.goto(f"{live_server.url}/console/")
    assert "/console/login/" in page.url


def test_a_viewer_sees_no_secret_in_the_admin_or_the_audit_log(live_server, browser):
    from incidents.models import Component, Probe, ProbeKind

    probe = Probe.objects.create(
        component=Component.objects.create(name="Cache"),
        name="cache heartbeat",
        kind=ProbeKind.HEARTBEAT,
        secret="probe-secret-9f8e7d6c5b4a",
    )
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    AuditEntry.objects.create(
        actor=root,
        action="admin.probe.changed",
        target_type="incidents.Probe",
        target_id=str(probe.pk),
        target_repr=str(probe),
        before={"name": "beat", "secret": probe.secret, "ping_uuid": str(probe.ping_uuid)},
        after={"name": "cache heartbeat", "secret": "(changed)", "ping_uuid": "(hidden)"},
    )
    viewer = get_user_model().objects.create_user("vic", password=PASSWORD, is_staff=True)
    viewer.groups.add(Group.objects.get(name="Viewer"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=DESKTOP)
    page.goto(f"{live_server.url}/console/login/")
    page.fill("#id_username", "vic")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    for name, path in [
        ("09-viewer-probe-in-the-admin", f"/admin/incidents/probe/{probe.pk}/change/"),
        ("10-viewer-audit-log", "/console/audit/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        text = page.inner_text("body")
        assert probe.secret not in text and str(probe.ping_uuid) not in text
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    assert (
        "shown to Admins only"
        in page.goto(f"{live_server.url}/admin/incidents/probe/{probe.pk}/change/").text()
    )
