"""Sign-up abuse limits: per IP, per destination, SMS countries; the same answer for everyone."""

from __future__ import annotations

import uuid

import pytest

from notifications.models import Verification
from notifications.signup import abuse_limits
from statuspage.client_ip import client_ip

pytestmark = pytest.mark.django_db


def fresh_ip() -> str:
    # Counters live in the real Redis across runs: a fresh address per test keeps them apart.
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def sign_up(client, ip: str, **data):
    return client.post("/subscribe/", {"email": "", "phone": "", **data}, REMOTE_ADDR=ip)


def test_sms_sign_ups_are_limited_per_ip(client, settings):
    settings.SMS_SIGNUP_LIMIT_PER_IP = (3, 14_400)
    ip = fresh_ip()
    answers = [sign_up(client, ip, phone=f"+1415555{n:04d}").status_code for n in range(4)]

    assert answers == [302, 302, 302, 429]
    assert Verification.objects.count() == 3
    assert sign_up(client, fresh_ip(), phone="+14155559999").status_code == 302  # another network


def test_a_limited_sign_up_says_why_and_stores_nothing(client, settings):
    settings.SIGNUP_LIMIT_PER_IP = (1, 3600)
    ip = fresh_ip()
    sign_up(client, ip, email=f"{uuid.uuid4().hex}@example.com")

    response = sign_up(client, ip, email="second@example.com")

    assert response.status_code == 429 and b"Too many sign-ups" in response.content
    assert not Verification.objects.filter(address="second@example.com").exists()


def test_email_sign_ups_do_not_use_up_the_sms_allowance(client, settings):
    settings.SMS_SIGNUP_LIMIT_PER_IP = (1, 14_400)
    ip = fresh_ip()
    for _ in range(3):
        assert sign_up(client, ip, email=f"{uuid.uuid4().hex}@example.com").status_code == 302
    assert sign_up(client, ip, phone="+14155550001").status_code == 302


def test_confirmations_to_one_address_are_capped_with_the_same_answer(
    client, settings, django_capture_on_commit_callbacks
):
    settings.CONFIRMATIONS_PER_DESTINATION = (2, 3600)
    address = f"{uuid.uuid4().hex}@example.com"
    answers = []
    with django_capture_on_commit_callbacks() as callbacks:
        for _ in range(4):
            answers.append(sign_up(client, fresh_ip(), email=address))

    assert {(r.status_code, r["Location"]) for r in answers} == {(302, "/subscribe/check-email/")}
    assert len(callbacks) == 2  # two confirmation emails queued, then silence


@pytest.mark.parametrize("number", ["+7 912 345 67 89", "+234 803 123 4567"])
def test_numbers_outside_the_sms_allow_list_are_refused(client, number):
    response = sign_up(client, fresh_ip(), phone=number)
    assert response.status_code == 400 and b"subscribe by email instead" in response.content
    assert not Verification.objects.exists()


def test_a_wildcard_allows_every_country(client, settings):
    settings.SMS_ALLOWED_COUNTRIES = ["*"]
    assert sign_up(client, fresh_ip(), phone="+7 912 345 67 89").status_code == 302


def test_the_limit_counts_the_client_behind_a_trusted_proxy(rf, settings):
    settings.NUM_PROXIES = 1
    request = rf.post("/subscribe/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7")
    assert client_ip(request) == "198.51.100.7"
    settings.NUM_PROXIES = 0
    assert client_ip(request) == "10.0.0.1"


def test_limits_let_requests_through_when_the_cache_is_down(monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(abuse_limits.cache, "add", broken)
    assert all(abuse_limits.allow("test", "k", (1, 60)) for _ in range(3))
