from __future__ import annotations

import re
import time
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Subscriber
from notifications.signup import confirmation

SUBSCRIBE_URL = "/subscribe/"
CHECK_EMAIL_PATH = "/subscribe/check-email/"
VALID_PHONE = "+14155552671"

pytestmark = pytest.mark.django_db


def _link_in(body: str) -> str:
    """Return the path of the one confirmation link in an email body."""
    links = re.findall(r"https?://\S+", body)
    assert len(links) == 1, body
    return urlsplit(links[0]).path


def _code_in(body: str) -> str:
    codes = re.findall(r"\b\d{6}\b", body)
    assert len(codes) == 1, body
    return codes[0]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _path_without_token(location: str) -> str:
    """Drop the signed token (and query) so two redirects can be compared."""
    return re.sub(r"/verify/[^/]+/", "/verify/<token>/", urlsplit(location).path)


def _sign_up_phone(client, phone: str = VALID_PHONE) -> tuple[Subscriber, str]:
    response = client.post(SUBSCRIBE_URL, {"email": "", "phone": phone})
    assert response.status_code == 302
    return Subscriber.objects.get(phone=phone), urlsplit(response["Location"]).path


# --- email sign-up and the confirmation link


def test_subscribe_page_renders_the_form(client):
    response = client.get(SUBSCRIBE_URL)

    assert response.status_code == 200
    assert b'name="email"' in response.content
    assert b'name="phone"' in response.content


def test_email_sign_up_stores_an_unconfirmed_subscriber_and_queues_the_link_after_commit(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(SUBSCRIBE_URL, {"email": "Alice@Example.com", "phone": ""})

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == CHECK_EMAIL_PATH
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "alice@example.com"
    assert subscriber.phone is None
    assert subscriber.email_confirmed_at is None
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_check_email_page_renders(client):
    assert client.get(CHECK_EMAIL_PATH).status_code == 200


def test_email_link_confirms_the_subscriber_when_fetched(client):
    client.post(SUBSCRIBE_URL, {"email": "alice@example.com", "phone": ""})
    subscriber = Subscriber.objects.get()

    confirmation.send_email_link(subscriber.pk)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    response = client.get(_link_in(message.body))
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.email_confirmed_at is not None


def test_email_link_is_not_sent_to_an_already_confirmed_subscriber():
    subscriber = Subscriber.objects.create(email="alice@example.com", email_confirmed_at=timezone.now())

    confirmation.send_email_link(subscriber.pk)

    assert mail.outbox == []


def test_tampered_email_token_is_rejected_and_confirms_nothing(client):
    subscriber = Subscriber.objects.create(email="alice@example.com")
    token = confirmation.email_token(subscriber)
    # Swap the last character of the signature for a different one.
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.get(f"/subscribe/confirm/{tampered}/")

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.email_confirmed_at is None


def test_email_token_for_another_address_is_rejected(client):
    subscriber = Subscriber.objects.create(email="alice@example.com")
    token = confirmation.email_token(subscriber)
    subscriber.email = "mallory@example.com"
    subscriber.save()

    response = client.get(f"/subscribe/confirm/{token}/")

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.email_confirmed_at is None


def test_garbage_email_token_is_rejected(client):
    assert client.get("/subscribe/confirm/not-a-token/").status_code == 400


def test_expired_email_link_is_rejected_and_confirms_nothing(client, settings):
    settings.CONFIRM_LINK_MAX_AGE_SECONDS = 60
    subscriber = Subscriber.objects.create(email="alice@example.com")
    with mock.patch("time.time", return_value=time.time() - 120):
        token = confirmation.email_token(subscriber)

    response = client.get(f"/subscribe/confirm/{token}/")

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.email_confirmed_at is None


# --- phone sign-up and the SMS code


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("+14155552671", "+14155552671"),
        ("(415) 555-2671", "+14155552671"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_valid_phone_numbers_are_stored_in_e164(client, raw, stored):
    response = client.post(SUBSCRIBE_URL, {"email": "", "phone": raw})

    assert response.status_code == 302
    subscriber = Subscriber.objects.get()
    assert subscriber.phone == stored
    assert subscriber.phone_confirmed_at is None
    assert urlsplit(response["Location"]).path.startswith("/subscribe/verify/")


def test_phone_sign_up_queues_the_code_after_commit(client, django_capture_on_commit_callbacks, sms_outbox):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(SUBSCRIBE_URL, {"email": "", "phone": VALID_PHONE})

    assert len(callbacks) == 1
    assert sms_outbox == []


def test_signing_up_email_and_phone_queues_both_confirmations(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(SUBSCRIBE_URL, {"email": "alice@example.com", "phone": VALID_PHONE})

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path.startswith("/subscribe/verify/")
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.phone) == ("alice@example.com", VALID_PHONE)
    assert len(callbacks) == 2


@pytest.mark.parametrize("raw", ["12", "not a phone", "+1 555", "+44 7700 900123", "1" * 40])
def test_invalid_phone_number_is_a_form_error_and_stores_nothing(client, raw):
    response = client.post(SUBSCRIBE_URL, {"email": "", "phone": raw})

    assert response.status_code == 400
    assert response.context["form"].errors["phone"]
    assert not Subscriber.objects.exists()


def test_invalid_email_is_a_form_error_and_stores_nothing(client):
    response = client.post(SUBSCRIBE_URL, {"email": "not-an-email", "phone": VALID_PHONE})

    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert not Subscriber.objects.exists()


def test_empty_form_is_rejected_and_stores_nothing(client):
    response = client.post(SUBSCRIBE_URL, {"email": "", "phone": ""})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not Subscriber.objects.exists()


def test_post_without_any_fields_is_rejected(client):
    response = client.post(SUBSCRIBE_URL, {})

    assert response.status_code == 400
    assert not Subscriber.objects.exists()


def test_send_phone_code_texts_a_six_digit_code(client, sms_outbox):
    subscriber, _ = _sign_up_phone(client)

    confirmation.send_phone_code(subscriber.pk)

    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == VALID_PHONE
    assert re.fullmatch(r"\d{6}", _code_in(sms_outbox[0].body))
    subscriber.refresh_from_db()
    assert subscriber.phone_code_hash
    # Only a hash of the code is stored.
    assert _code_in(sms_outbox[0].body) not in subscriber.phone_code_hash


def test_right_code_on_the_verify_page_confirms_the_phone(client, sms_outbox):
    subscriber, verify_path = _sign_up_phone(client)
    confirmation.send_phone_code(subscriber.pk)

    assert client.get(verify_path).status_code == 200
    response = client.post(verify_path, {"code": _code_in(sms_outbox[0].body)})

    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.phone_confirmed_at is not None


def test_wrong_code_is_rejected_and_does_not_confirm(client, sms_outbox):
    subscriber, verify_path = _sign_up_phone(client)
    confirmation.send_phone_code(subscriber.pk)

    response = client.post(verify_path, {"code": _wrong(_code_in(sms_outbox[0].body))})

    assert response.status_code == 400
    assert response.context["form"].errors["code"]
    subscriber.refresh_from_db()
    assert subscriber.phone_confirmed_at is None
    assert subscriber.phone_code_tries == 1


def test_code_that_is_not_six_digits_is_a_form_error(client, sms_outbox):
    subscriber, verify_path = _sign_up_phone(client)
    confirmation.send_phone_code(subscriber.pk)

    response = client.post(verify_path, {"code": "abc"})

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.phone_confirmed_at is None
    assert subscriber.phone_code_tries == 0


def test_verify_post_without_a_code_is_rejected(client, sms_outbox):
    subscriber, verify_path = _sign_up_phone(client)
    confirmation.send_phone_code(subscriber.pk)

    response = client.post(verify_path, {})

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.phone_confirmed_at is None


def test_after_too_many_wrong_codes_even_the_right_code_fails(client, settings, sms_outbox):
    settings.SMS_CODE_MAX_TRIES = 3
    subscriber, verify_path = _sign_up_phone(client)
    confirmation.send_phone_code(subscriber.pk)
    code = _code_in(sms_outbox[0].body)

    for _ in range(settings.SMS_CODE_MAX_TRIES):
        assert client.post(verify_path, {"code": _wrong(code)}).status_code == 400
    response = client.post(verify_path, {"code": code})

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.phone_confirmed_at is None


def test_expired_code_fails(client, settings, sms_outbox):
    subscriber, verify_path = _sign_up_phone(client)
    confirmation.send_phone_code(subscriber.pk)
    Subscriber.objects.filter(pk=subscriber.pk).update(
        phone_code_sent_at=timezone.now() - timedelta(seconds=settings.SMS_CODE_MAX_AGE_SECONDS + 1)
    )

    response = client.post(verify_path, {"code": _code_in(sms_outbox[0].body)})

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.phone_confirmed_at is None


def test_a_new_code_replaces_the_old_one(client, sms_outbox):
    subscriber, verify_path = _sign_up_phone(client)
    confirmation.send_phone_code(subscriber.pk)
    confirmation.send_phone_code(subscriber.pk)
    old, new = (_code_in(sms.body) for sms in sms_outbox)
    if old == new:
        pytest.skip("both random codes happened to be equal")

    assert client.post(verify_path, {"code": old}).status_code == 400
    assert client.post(verify_path, {"code": new}).status_code == 200


def test_tampered_verify_link_is_rejected(client):
    _, verify_path = _sign_up_phone(client)
    token = verify_path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert client.get(f"/subscribe/verify/{tampered}/").status_code == 400


# --- signing up an address twice


@pytest.mark.parametrize(
    ("data", "confirmed_field"),
    [
        ({"email": "alice@example.com", "phone": ""}, "email_confirmed_at"),
        ({"email": "", "phone": VALID_PHONE}, "phone_confirmed_at"),
    ],
)
def test_sign_up_answers_the_same_for_a_new_and_a_confirmed_address(client, data, confirmed_field):
    new_answer = client.post(SUBSCRIBE_URL, data)
    Subscriber.objects.update(**{confirmed_field: timezone.now()})

    confirmed_answer = client.post(SUBSCRIBE_URL, data)

    assert new_answer.status_code == confirmed_answer.status_code == 302
    assert _path_without_token(new_answer["Location"]) == _path_without_token(confirmed_answer["Location"])


@pytest.mark.parametrize(
    ("data", "address"),
    [
        ({"email": "alice@example.com", "phone": ""}, {"email": "alice@example.com"}),
        ({"email": "", "phone": VALID_PHONE}, {"phone": VALID_PHONE}),
    ],
)
def test_signing_up_a_confirmed_address_again_keeps_it_confirmed_and_sends_nothing(
    client, django_capture_on_commit_callbacks, sms_outbox, data, address
):
    confirmed_at = timezone.now() - timedelta(days=3)
    subscriber = Subscriber.objects.create(
        **address,
        email_confirmed_at=confirmed_at if "email" in address else None,
        phone_confirmed_at=confirmed_at if "phone" in address else None,
    )

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(SUBSCRIBE_URL, data)

    assert response.status_code == 302
    assert callbacks == []
    assert Subscriber.objects.count() == 1
    subscriber.refresh_from_db()
    assert confirmed_at in (subscriber.email_confirmed_at, subscriber.phone_confirmed_at)
    # Even if a confirmation task ran for it, nothing would go out.
    confirmation.send_email_link(subscriber.pk)
    confirmation.send_phone_code(subscriber.pk)
    assert mail.outbox == []
    assert sms_outbox == []


def test_signing_up_an_unconfirmed_address_again_resends_without_a_duplicate(
    client, django_capture_on_commit_callbacks
):
    client.post(SUBSCRIBE_URL, {"email": "alice@example.com", "phone": ""})

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(SUBSCRIBE_URL, {"email": "ALICE@example.com", "phone": ""})

    assert urlsplit(response["Location"]).path == CHECK_EMAIL_PATH
    assert Subscriber.objects.count() == 1
    assert len(callbacks) == 1
