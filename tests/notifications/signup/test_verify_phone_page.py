"""The SMS code page: codes typed as people type them, where the code went, and asking for a new one."""

from __future__ import annotations

import random
import re
import uuid
from html import unescape
from urllib.parse import urlsplit

import phonenumbers
import pytest
from django.utils import timezone

from notifications.models import Subscriber, Verification
from notifications.signup import confirmation, registration
from tests.notifications.signup.proofs import latest, text_code

pytestmark = pytest.mark.django_db


def fresh_phone() -> str:
    """A valid US number few runs share: the limits' counters live in the real Redis across runs."""
    while True:
        phone = f"+1415{random.randrange(200, 1000):03d}{random.randrange(10_000):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(phone)):
            return phone


def fresh_ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


@pytest.fixture
def queued(monkeypatch, transactional_db) -> list[tuple]:
    """Tasks the sign-up code queued once its transaction committed, kept here instead of the broker."""
    calls: list[tuple] = []
    monkeypatch.setattr(registration, "enqueue_safely", lambda name, *args: calls.append((name, *args)))
    return calls


def sign_up(client, phone: str, ip: str) -> str:
    response = client.post("/subscribe/", {"email": "", "phone": phone}, REMOTE_ADDR=ip)
    assert response.status_code == 302
    return response["Location"]


def comparable(response) -> str:
    """The page without what differs on every request (CSRF tokens) or by number (digits)."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return re.sub(r"\d+", "0", page)


@pytest.mark.parametrize("typed", ["{a} {b}", "{a}-{b}", " {a} - {b} ", "{a}\u00a0{b}", "{a}\u2013{b}"])
def test_a_code_typed_with_a_space_or_dash_confirms_the_phone(client, sms_outbox, typed):
    phone = fresh_phone()
    verify = sign_up(client, phone, fresh_ip())
    code = text_code(phone)

    response = client.post(verify, {"code": typed.format(a=code[:3], b=code[3:])})

    assert response.status_code == 200
    assert Subscriber.objects.get(phone=phone).phone_confirmed_at is not None


@pytest.mark.parametrize("typed", ["816.540", "81654", "8165400", "816 54O", "abcdef", "+816540"])
def test_a_code_that_is_not_six_digits_after_spaces_and_dashes_is_refused_without_a_try(
    client, sms_outbox, typed
):
    phone = fresh_phone()
    verify = sign_up(client, phone, fresh_ip())
    text_code(phone)

    response = client.post(verify, {"code": typed})

    assert response.status_code == 400
    assert "6 digits" in response.content.decode()
    subscriber = Subscriber.objects.get(phone=phone)
    assert subscriber.phone_confirmed_at is None
    assert (latest(phone).tries, subscriber.phone_code_tries) == (0, 0)


def test_a_wrong_code_with_a_space_still_counts_as_a_wrong_try(client, sms_outbox):
    phone = fresh_phone()
    verify = sign_up(client, phone, fresh_ip())
    wrong = f"{(int(text_code(phone)) + 1) % 1_000_000:06d}"

    response = client.post(verify, {"code": f"{wrong[:3]} {wrong[3:]}"})

    assert response.status_code == 400
    subscriber = Subscriber.objects.get(phone=phone)
    assert subscriber.phone_confirmed_at is None
    assert (latest(phone).tries, subscriber.phone_code_tries) == (1, 1)


def test_the_verify_page_names_the_masked_number_the_code_went_to(client):
    phone = fresh_phone()
    verify = sign_up(client, phone, fresh_ip())

    body = client.get(verify).content.decode()

    assert f"+1 •••-•••-{phone[-4:]}" in body
    assert phone not in body and phone[2:5] + "-" + phone[5:8] not in body


def test_asking_for_a_new_code_texts_one_that_replaces_the_old(client, sms_outbox, queued):
    ip = fresh_ip()
    phone = fresh_phone()
    verify = sign_up(client, phone, ip)
    old = text_code(phone)
    queued.clear()

    response = client.post(verify, {"resend": "1"}, REMOTE_ADDR=ip, follow=True)

    assert response.status_code == 200
    assert urlsplit(response.redirect_chain[-1][0]).path == urlsplit(verify).path
    assert "We've texted a new code" in unescape(response.content.decode())
    assert queued == [("send_phone_code", latest(phone).pk)]
    new = text_code(phone)  # what the queued task runs
    if new != old:
        assert client.post(verify, {"code": old}).status_code == 400
    assert client.post(verify, {"code": new}).status_code == 200


def test_new_codes_stop_at_the_per_number_limit_with_a_clear_message(client, settings, queued):
    settings.CONFIRMATIONS_PER_DESTINATION = (2, 3600)
    phone = fresh_phone()
    verify = sign_up(client, phone, fresh_ip())  # the first code counts too
    assert len(queued) == 1

    first = client.post(verify, {"resend": "1"}, REMOTE_ADDR=fresh_ip())
    refused = client.post(verify, {"resend": "1"}, REMOTE_ADDR=fresh_ip())

    assert first.status_code == 302
    assert refused.status_code == 429
    assert "Too many codes" in refused.content.decode()
    assert len(queued) == 2
    # The sign-up form counts against the same limit: no way around it.
    client.post("/subscribe/", {"email": "", "phone": phone}, REMOTE_ADDR=fresh_ip())
    assert len(queued) == 2


def test_new_codes_count_against_the_per_network_sms_limit(client, settings, queued):
    settings.SMS_SIGNUP_LIMIT_PER_IP = (2, 3600)
    ip = fresh_ip()
    verify = sign_up(client, fresh_phone(), ip)

    assert client.post(verify, {"resend": "1"}, REMOTE_ADDR=ip).status_code == 302
    refused = client.post(verify, {"resend": "1"}, REMOTE_ADDR=ip)

    assert refused.status_code == 429
    assert "Too many" in refused.content.decode()
    assert len(queued) == 2


def test_asking_for_a_code_for_a_confirmed_number_answers_alike_and_texts_a_fresh_code(
    client, settings, sms_outbox, queued
):
    settings.CONFIRMATIONS_PER_DESTINATION = (3, 3600)
    confirmed = Subscriber.objects.create(phone=fresh_phone(), phone_confirmed_at=timezone.now())
    pending = fresh_phone()
    answers = {}
    for phone in (confirmed.phone, pending):
        verify = sign_up(client, phone, fresh_ip())
        page = client.get(verify)
        resends = [client.post(verify, {"resend": "1"}, REMOTE_ADDR=fresh_ip()) for _ in range(3)]
        answers[phone] = [(r.status_code, comparable(r)) for r in [page, *resends]]

    # The same pages, and the limit hit at the same request, whether or not the number is confirmed.
    assert answers[confirmed.phone] == answers[pending]
    assert [status for status, _ in answers[pending]] == [200, 302, 302, 429]
    # And the same tasks: each number gets its codes, the confirmed one as proof it is theirs.
    assert [name for name, _ in queued] == ["send_phone_code"] * 6
    for name, verification_id in queued:  # what the queued tasks run
        getattr(confirmation, name)(verification_id)
    assert sorted(sms.to for sms in sms_outbox) == sorted([confirmed.phone] * 3 + [pending] * 3)
    confirmed.refresh_from_db()
    assert confirmed.phone_confirmed_at is not None


def test_a_tampered_verify_link_cannot_ask_for_a_code(client, queued):
    verify = sign_up(client, fresh_phone(), fresh_ip())
    queued.clear()
    tampered = verify.rstrip("/")[:-1] + ("A" if verify.rstrip("/")[-1] != "A" else "B") + "/"

    assert client.post(tampered, {"resend": "1"}).status_code == 400
    assert queued == []


def test_a_used_verify_page_cannot_ask_for_a_code(client, sms_outbox, queued):
    phone = fresh_phone()
    verify = sign_up(client, phone, fresh_ip())
    assert client.post(verify, {"code": text_code(phone)}).status_code == 200
    queued.clear()

    assert client.post(verify, {"resend": "1"}, REMOTE_ADDR=fresh_ip()).status_code == 400
    assert queued == []
    assert Verification.objects.get().used_at is not None
