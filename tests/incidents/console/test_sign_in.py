"""Staff sign-in: lockout after failed logins, and the second factor (TOTP, recovery codes, passkeys)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents.models import AuditEntry

pytestmark = pytest.mark.django_db

LOGIN = "/console/login/"
VERIFY = "/console/login/verify/"
SECURITY = "/console/security/"
APP = "/console/security/app/"
CODES = "/console/security/recovery-codes/"
PASSWORD = "correct-horse-battery"


def user_in(role: str, name: str | None = None, **extra):
    user = get_user_model().objects.create_user(name or role.lower(), password=PASSWORD, **extra)
    user.groups.add(Group.objects.get(name=role))
    return user


def log_in(client, username: str, password: str = PASSWORD, path: str = LOGIN, **extra):
    return client.post(path, {"username": username, "password": password, **extra}, **_ip(extra))


def _ip(extra: dict) -> dict:
    return {"REMOTE_ADDR": extra.pop("ip")} if "ip" in extra else {}


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The app's code now (or a step later: a code is accepted once, so a second login needs the next)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def with_app(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def with_recovery_codes(user, *codes: str) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    for code in codes:
        device.token_set.create(token=code)
    return device


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- Lockout


def test_the_login_page_says_when_logins_pause(client):
    html = client.get(LOGIN).content.decode()
    assert "After 5 failed attempts" in html and "15 minutes" in html


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(client):
    user_in("Admin", "ada")
    for attempt in range(4):
        response = log_in(client, "ada", "wrong")
        assert response.status_code == 200, attempt
        assert "Please enter a correct username and password" in response.content.decode()
    response = log_in(client, "ada", "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many failed logins" in page and "15 minutes" in page
    assert 14 * 60 < int(response["Retry-After"]) <= 15 * 60

    response = log_in(client, "ada")
    assert response.status_code == 429 and not logged_in(client)


def test_the_account_lock_holds_from_any_address(client):
    user_in("Admin", "ada")
    for n in range(5):
        log_in(client, "ada", "wrong", ip=f"198.51.100.{n + 1}")
    assert log_in(client, "ada", ip="203.0.113.9").status_code == 429
    assert not logged_in(client)


def test_one_address_trying_many_accounts_is_locked_out(client):
    user_in("Viewer", "victor")
    for name in ["alice", "bob", "carol", "dave", "erin"]:
        log_in(client, name, "guess", ip="192.0.2.50")
    # Even a real account with its right password, from that address.
    assert log_in(client, "victor", ip="192.0.2.50").status_code == 429
    # Someone else, elsewhere, is not affected.
    assert log_in(client, "victor", ip="192.0.2.51").status_code == 302


def test_the_admin_login_locks_out_too(client):
    user_in("Admin", "ada", is_staff=True)
    for _ in range(5):
        log_in(client, "ada", "wrong", path="/admin/login/")
    response = log_in(client, "ada", path="/admin/login/")
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()
    assert not logged_in(client)


def test_the_lockout_lifts_after_the_pause(client):
    user_in("Responder", "rene")
    for _ in range(5):
        log_in(client, "rene", "wrong")
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.first().attempt_time - timedelta(minutes=16)
    )
    assert log_in(client, "rene").status_code == 302 and logged_in(client)


def test_a_good_login_clears_earlier_failures(client):
    user_in("Responder", "rene")
    for _ in range(4):
        log_in(client, "rene", "wrong")
    assert log_in(client, "rene").status_code == 302
    client.logout()
    for _ in range(4):
        assert log_in(client, "rene", "wrong").status_code == 200
    assert log_in(client, "rene").status_code == 302


# --- The second factor


def test_without_a_second_factor_set_up_the_password_is_enough_by_default(client):
    user_in("Admin", "ada")
    response = log_in(client, "ada")
    assert response.status_code == 302 and response["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_someone_with_an_app_gives_its_code_after_the_password(client):
    app = with_app(user_in("Viewer", "vic", is_staff=True))
    response = log_in(client, "vic", next="/console/audit/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    # Until then, the console and the admin send the session to the second step.
    for path in ["/console/", "/console/audit/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY), path
    page = client.get(VERIFY + "?next=/console/audit/").content.decode()
    assert "Code from your authenticator app" in page
    response = client.post(VERIFY, {"code": code_for(app), "next": "/console/audit/"})
    assert response.status_code == 302 and response["Location"] == "/console/audit/"
    assert client.get("/console/").status_code == 200


def test_a_wrong_code_is_refused_with_a_clear_message(client):
    with_app(user_in("Viewer", "vic"))
    log_in(client, "vic")
    response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    assert client.get("/console/").status_code == 302


def test_a_code_works_once(client):
    app = with_app(user_in("Viewer", "vic"))
    code = code_for(app)
    log_in(client, "vic")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.logout()
    log_in(client, "vic")
    assert client.post(VERIFY, {"code": code}).status_code == 400


def test_a_recovery_code_works_once_and_says_how_many_are_left(client):
    user = user_in("Viewer", "vic")
    with_app(user)
    with_recovery_codes(user, "abcde23456", "fghjk78923")
    log_in(client, "vic")
    response = client.post(VERIFY, {"code": "ABCDE-23456"}, follow=True)
    assert response.status_code == 200 and "Recovery code used; 1 left" in response.content.decode()
    client.logout()
    log_in(client, "vic")
    assert client.post(VERIFY, {"code": "abcde-23456"}).status_code == 400
    assert client.get("/console/").status_code == 302


def test_wrong_codes_count_towards_the_lockout_and_end_the_session(client):
    with_app(user_in("Admin", "ada"))
    log_in(client, "ada")
    for _ in range(4):
        assert client.post(VERIFY, {"code": "123456"}).status_code == 400
    response = client.post(VERIFY, {"code": "654321"})
    assert response.status_code == 429 and "Too many failed logins" in response.content.decode()
    assert not logged_in(client)
    assert log_in(client, "ada").status_code == 429


def test_verify_sends_only_to_this_site(client):
    app = with_app(user_in("Viewer", "vic"))
    log_in(client, "vic")
    response = client.post(VERIFY, {"code": code_for(app), "next": "https://evil.example/"})
    assert response["Location"] == "/console/"


def test_an_admin_must_set_up_a_second_factor_when_required(client, settings):
    settings.STAFF_2FA_REQUIRED = True
    user_in("Admin", "ada", is_staff=True)
    response = client.get(log_in(client, "ada")["Location"], follow=True)
    assert response.redirect_chain[-1][0].startswith(SECURITY)
    assert "Your role needs a second factor" in response.content.decode()
    for path in ["/console/", "/console/audit/", "/admin/"]:
        assert client.get(path)["Location"].startswith(VERIFY), path

    page = client.get(APP)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user__username="ada", confirmed=False)
    response = client.post(APP, {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == CODES
    codes = client.post(CODES).content.decode()
    assert codes.count("<li>") == 10 and "shown only this once" in codes
    assert client.get("/console/").status_code == 200 and client.get("/admin/").status_code == 200
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"security.totp.added", "security.recovery_codes.made"} <= actions


def test_viewers_and_responders_are_not_forced_when_required(client, settings):
    settings.STAFF_2FA_REQUIRED = True
    user_in("Responder", "rene")
    assert log_in(client, "rene")["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_a_session_owing_its_code_cannot_add_another_factor(client):
    # Else a stolen password would let a thief add their own authenticator app or passkey.
    with_app(user_in("Admin", "ada"))
    log_in(client, "ada")
    for path in [SECURITY, APP, CODES]:
        assert client.get(path)["Location"].startswith(VERIFY), path
    assert client.post(CODES)["Location"].startswith(VERIFY)
    response = client.post("/console/passkeys/registration/begin/", content_type="application/json")
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user__username="ada").count() == 1


def test_a_required_admin_cannot_remove_their_last_factor(client, settings):
    settings.STAFF_2FA_REQUIRED = True
    user = user_in("Admin", "ada")
    app = with_app(user)
    log_in(client, "ada")
    client.post(VERIFY, {"code": code_for(app)})
    response = client.post(f"/console/security/totp/{app.pk}/remove/", follow=True)
    assert "add another before removing" in response.content.decode()
    assert TOTPDevice.objects.filter(pk=app.pk).exists()


def test_removing_the_last_factor_removes_the_recovery_codes_too(client):
    user = user_in("Viewer", "vic")
    app = with_app(user)
    with_recovery_codes(user, "abcde23456")
    log_in(client, "vic")
    client.post(VERIFY, {"code": code_for(app)})
    client.post(f"/console/security/totp/{app.pk}/remove/")
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    client.logout()
    assert log_in(client, "vic")["Location"] == "/console/"


def test_nobody_removes_someone_elses_factor(client):
    other = with_app(user_in("Admin", "ada"))
    user_in("Viewer", "vic")
    log_in(client, "vic")
    assert client.post(f"/console/security/totp/{other.pk}/remove/").status_code == 404
    assert client.post("/console/security/bogus/1/remove/").status_code == 404
    assert TOTPDevice.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("role", ["Viewer", "Responder", "Admin"])
def test_every_role_can_open_sign_in_security(client, role):
    client.force_login(user_in(role))
    html = client.get(SECURITY).content.decode()
    assert "Authenticator app" in html and "Passkeys" in html and "Recovery codes" in html
    assert 'href="/console/security/"' in client.get("/console/").content.decode()


def test_recovery_codes_need_an_app_or_a_passkey_first(client):
    client.force_login(user_in("Viewer"))
    response = client.post(CODES)
    assert response.status_code == 302 and not StaticDevice.objects.exists()


def test_a_new_phone_replaces_the_old_app(client):
    user = user_in("Viewer", "vic")
    old = with_app(user)
    log_in(client, "vic")
    client.post(VERIFY, {"code": code_for(old)})
    client.get(APP)
    new = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.post(APP, {"code": code_for(new)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=user).values_list("pk", flat=True)) == [new.pk]


def test_a_bad_code_when_setting_up_the_app_turns_nothing_on(client):
    client.force_login(user_in("Viewer", "vic"))
    client.get(APP)
    response = client.post(APP, {"code": "12"})
    assert response.status_code == 400 and "That code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_an_admin_required_to_set_one_up_can_start_a_passkey_before_any_other_factor(client, settings):
    settings.STAFF_2FA_REQUIRED = True
    log_in(client, user_in("Admin", "ada").username)
    begin = client.post("/console/passkeys/registration/begin/", content_type="application/json")
    assert begin.status_code == 200 and "challenge" in begin.json()
    # A bad answer is the library's JSON error, not a redirect to the second step.
    complete = client.post("/console/passkeys/registration/complete/", {}, content_type="application/json")
    assert 400 <= complete.status_code < 500 and "detail" in complete.json()
    assert not AuditEntry.objects.filter(action="security.passkey.added").exists()


def test_a_session_owing_its_code_still_reads_the_public_page(client):
    with_app(user_in("Viewer", "vic"))
    log_in(client, "vic")
    assert client.get("/").status_code == 200
