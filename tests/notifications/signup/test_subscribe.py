from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Subscriber, Verification
from notifications.signup import confirmation
from tests.notifications.signup.proofs import email_link, latest, link_for, text_code, wrong

SUBSCRIBE_URL = "/subscribe/"
CHECK_EMAIL_PATH = "/subscribe/check-email/"
VALID_PHONE = "+14155552671"

pytestmark = pytest.mark.django_db


def _path_without_token(location: str) -> str:
    """Drop the token (and query) so two redirects can be compared."""
    return re.sub(r"/verify/[^/]+/", "/verify/<token>/", urlsplit(location).path)


def _sign_up_phone(client, phone: str = VALID_PHONE) -> str:
    response = client.post(SUBSCRIBE_URL, {"email": "", "phone": phone})
    assert response.status_code == 302
    return urlsplit(response["Location"]).path


# --- email sign-up and the confirmation link


def test_subscribe_page_renders_the_form(client):
    response = client.get(SUBSCRIBE_URL)

    assert response.status_code == 200
    assert b'name="email"' in response.content
    assert b'name="phone"' in response.content


def test_email_sign_up_records_what_to_prove_and_queues_the_link_after_commit(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(SUBSCRIBE_URL, {"email": "Alice@Example.com", "phone": ""})

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == CHECK_EMAIL_PATH
    proof = Verification.objects.get()
    assert (proof.channel, proof.address, proof.subscriber) == ("email", "alice@example.com", None)
    assert len(callbacks) == 1
    assert mail.outbox == []
    # The worker finds or creates the subscriber, unconfirmed, when it mails the link.
    email_link("alice@example.com")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "alice@example.com"
    assert subscriber.phone is None
    assert subscriber.email_confirmed_at is None


def test_check_email_page_renders(client):
    assert client.get(CHECK_EMAIL_PATH).status_code == 200


def test_email_link_confirms_the_subscriber_when_fetched(client):
    client.post(SUBSCRIBE_URL, {"email": "alice@example.com", "phone": ""})

    path = email_link("alice@example.com")

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["alice@example.com"]
    assert mail.outbox[0].subject.startswith("Confirm your subscription")
    response = client.get(path)
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.email_confirmed_at is not None


def test_a_sign_up_for_a_confirmed_address_mails_a_link_to_the_subscription_not_a_confirmation(client):
    subscriber = Subscriber.objects.create(email="alice@example.com", email_confirmed_at=timezone.now())
    client.post(SUBSCRIBE_URL, {"email": "alice@example.com", "phone": ""})

    path = email_link("alice@example.com")

    message = mail.outbox[0]
    assert message.subject.startswith("Your subscription")
    assert "already subscribed" in message.body
    response = client.get(path)
    assert response.status_code == 200
    assert subscriber.link_key in response.content.decode()  # the manage link, behind the fresh proof


def test_the_email_link_is_mailed_once_even_if_its_task_runs_twice(client):
    client.post(SUBSCRIBE_URL, {"email": "alice@example.com", "phone": ""})

    email_link("alice@example.com")
    confirmation.send_email_link(latest("alice@example.com").pk)

    assert len(mail.outbox) == 1


def test_tampered_email_token_is_rejected_and_confirms_nothing(client):
    subscriber = Subscriber.objects.create(email="alice@example.com")
    token = link_for(subscriber).rstrip("/").rsplit("/", 1)[1]
    # Swap the last character for a different one.
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    response = client.get(f"/subscribe/confirm/{tampered}/")

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.email_confirmed_at is None


def test_email_link_for_an_address_changed_since_is_rejected(client):
    subscriber = Subscriber.objects.create(email="alice@example.com")
    path = link_for(subscriber)
    subscriber.email = "mallory@example.com"
    subscriber.save()

    response = client.get(path)

    assert response.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.email_confirmed_at is None


def test_garbage_email_token_is_rejected(client):
    assert client.get("/subscribe/confirm/not-a-token/").status_code == 400
    assert client.get(f"/subscribe/confirm/{'x' * 300}/").status_code == 400


def test_expired_email_link_is_rejected_and_confirms_nothing(client, settings):
    settings.CONFIRM_LINK_MAX_AGE_SECONDS = 60
    subscriber = Subscriber.objects.create(email="alice@example.com")
    path = link_for(subscriber)
    Verification.objects.update(created_at=timezone.now() - timedelta(seconds=120))

    response = client.get(path)

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
    assert urlsplit(response["Location"]).path.startswith("/subscribe/verify/")
    assert latest(stored).channel == "sms"
    text_code(stored)
    subscriber = Subscriber.objects.get()
    assert subscriber.phone == stored
    assert subscriber.phone_confirmed_at is None


def test_phone_sign_up_queues_the_code_after_commit(client, django_capture_on_commit_callbacks, sms_outbox):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(SUBSCRIBE_URL, {"email": "", "phone": VALID_PHONE})

    assert len(callbacks) == 1
    assert sms_outbox == []


def test_signing_up_email_and_phone_queues_both_and_makes_one_subscriber(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(SUBSCRIBE_URL, {"email": "alice@example.com", "phone": VALID_PHONE})

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path.startswith("/subscribe/verify/")
    assert len(callbacks) == 2
    text_code(VALID_PHONE)
    email_link("alice@example.com")
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.phone) == ("alice@example.com", VALID_PHONE)


def test_email_and_phone_of_two_different_subscribers_stay_apart(client):
    Subscriber.objects.create(email="alice@example.com", email_confirmed_at=timezone.now())
    client.post(SUBSCRIBE_URL, {"email": "alice@example.com", "phone": VALID_PHONE})

    text_code(VALID_PHONE)
    email_link("alice@example.com")

    assert Subscriber.objects.get(phone=VALID_PHONE).email is None
    assert Subscriber.objects.get(email="alice@example.com").phone is None


@pytest.mark.parametrize("raw", ["12", "not a phone", "+1 555", "+44 7700 900123", "1" * 40])
def test_invalid_phone_number_is_a_form_error_and_stores_nothing(client, raw):
    response = client.post(SUBSCRIBE_URL, {"email": "", "phone": raw})

    assert response.status_code == 400
    assert response.context["form"].errors["phone"]
    assert not Verification.objects.exists()


def test_invalid_email_is_a_form_error_and_stores_nothing(client):
    response = client.post(SUBSCRIBE_URL, {"email": "not-an-email", "phone": VALID_PHONE})

    assert response.status_code == 400
    assert response.context["form"].errors["email"]
    assert not Verification.objects.exists()


def test_empty_form_is_rejected_and_stores_nothing(client):
    response = client.post(SUBSCRIBE_URL, {"email": "", "phone": ""})

    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert not Verification.objects.exists()


def test_post_without_any_fields_is_rejected(client):
    response = client.post(SUBSCRIBE_URL, {})

    assert response.status_code == 400
    assert not Verification.objects.exists()


def test_send_phone_code_texts_a_six_digit_code_and_keeps_only_its_hash(client, sms_outbox):
    _sign_up_phone(client)

    code = text_code(VALID_PHONE)

    assert len(sms_outbox) == 1
    assert sms_outbox[0].to == VALID_PHONE
    assert re.fullmatch(r"\d{6}", code)
    proof = latest(VALID_PHONE)
    assert proof.code_hash and code not in proof.code_hash
    assert proof.subscriber == Subscriber.objects.get(phone=VALID_PHONE)


def test_right_code_on_the_verify_page_confirms_the_phone(client, sms_outbox):
    verify_path = _sign_up_phone(client)
    code = text_code(VALID_PHONE)

    assert client.get(verify_path).status_code == 200
    response = client.post(verify_path, {"code": code})

    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.phone_confirmed_at is not None


def test_a_used_code_and_its_page_open_nothing_again(client, sms_outbox):
    verify_path = _sign_up_phone(client)
    code = text_code(VALID_PHONE)
    assert client.post(verify_path, {"code": code}).status_code == 200

    assert client.get(verify_path).status_code == 400
    assert client.post(verify_path, {"code": code}).status_code == 400


def test_wrong_code_is_rejected_and_does_not_confirm(client, sms_outbox):
    verify_path = _sign_up_phone(client)
    code = text_code(VALID_PHONE)

    response = client.post(verify_path, {"code": wrong(code)})

    assert response.status_code == 400
    assert response.context["form"].errors["code"] == ["That code is not right."]
    subscriber = Subscriber.objects.get()
    assert subscriber.phone_confirmed_at is None
    assert (latest(VALID_PHONE).tries, subscriber.phone_code_tries) == (1, 1)


def test_code_that_is_not_six_digits_is_a_form_error(client, sms_outbox):
    verify_path = _sign_up_phone(client)
    text_code(VALID_PHONE)

    response = client.post(verify_path, {"code": "abc"})

    assert response.status_code == 400
    subscriber = Subscriber.objects.get()
    assert subscriber.phone_confirmed_at is None
    assert (latest(VALID_PHONE).tries, subscriber.phone_code_tries) == (0, 0)


def test_verify_post_without_a_code_is_rejected(client, sms_outbox):
    verify_path = _sign_up_phone(client)
    text_code(VALID_PHONE)

    response = client.post(verify_path, {})

    assert response.status_code == 400
    assert Subscriber.objects.get().phone_confirmed_at is None


def test_a_code_entered_before_the_text_went_out_is_not_counted(client):
    verify_path = _sign_up_phone(client)

    response = client.post(verify_path, {"code": "123456"})

    assert response.status_code == 400
    assert "No code has been sent yet" in response.content.decode()
    assert latest(VALID_PHONE).tries == 0


def test_after_too_many_wrong_codes_even_the_right_code_fails(client, settings, sms_outbox):
    settings.SMS_CODE_MAX_TRIES = 3
    verify_path = _sign_up_phone(client)
    code = text_code(VALID_PHONE)

    for _ in range(settings.SMS_CODE_MAX_TRIES):
        assert client.post(verify_path, {"code": wrong(code)}).status_code == 400
    response = client.post(verify_path, {"code": code})

    assert response.status_code == 400
    assert "Too many wrong tries" in response.content.decode()
    assert Subscriber.objects.get().phone_confirmed_at is None


def test_expired_code_fails(client, settings, sms_outbox):
    verify_path = _sign_up_phone(client)
    code = text_code(VALID_PHONE)
    Verification.objects.update(
        sent_at=timezone.now() - timedelta(seconds=settings.SMS_CODE_MAX_AGE_SECONDS + 1)
    )

    response = client.post(verify_path, {"code": code})

    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert Subscriber.objects.get().phone_confirmed_at is None


def test_a_new_code_replaces_the_old_one(client, sms_outbox):
    verify_path = _sign_up_phone(client)
    old = text_code(VALID_PHONE)
    new = text_code(VALID_PHONE)
    if old == new:
        pytest.skip("both random codes happened to be equal")

    assert client.post(verify_path, {"code": old}).status_code == 400
    assert client.post(verify_path, {"code": new}).status_code == 200


def test_tampered_verify_link_is_rejected(client):
    verify_path = _sign_up_phone(client)
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
    Subscriber.objects.create(**{k: v for k, v in data.items() if v}, **{confirmed_field: timezone.now()})

    confirmed_answer = client.post(SUBSCRIBE_URL, data)

    assert new_answer.status_code == confirmed_answer.status_code == 302
    assert _path_without_token(new_answer["Location"]) == _path_without_token(confirmed_answer["Location"])
    if "/verify/" in new_answer["Location"]:  # a new page, never the earlier one's
        assert new_answer["Location"] != confirmed_answer["Location"]


def test_signing_up_a_confirmed_number_again_starts_a_fresh_proof_and_keeps_it_confirmed(
    client, django_capture_on_commit_callbacks, sms_outbox
):
    confirmed_at = timezone.now() - timedelta(days=3)
    subscriber = Subscriber.objects.create(phone=VALID_PHONE, phone_confirmed_at=confirmed_at)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        verify_path = _sign_up_phone(client)

    assert len(callbacks) == 1
    code = text_code(VALID_PHONE)
    assert Subscriber.objects.count() == 1
    subscriber.refresh_from_db()
    assert subscriber.phone_confirmed_at == confirmed_at
    # The fresh code, on the fresh page, is what opens the subscription.
    response = client.post(verify_path, {"code": code})
    assert response.status_code == 200
    assert subscriber.link_key in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.phone_confirmed_at == confirmed_at


def test_signing_up_an_unconfirmed_address_again_resends_without_a_duplicate(
    client, django_capture_on_commit_callbacks
):
    client.post(SUBSCRIBE_URL, {"email": "alice@example.com", "phone": ""})
    email_link("alice@example.com")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(SUBSCRIBE_URL, {"email": "ALICE@example.com", "phone": ""})

    assert urlsplit(response["Location"]).path == CHECK_EMAIL_PATH
    assert len(callbacks) == 1
    email_link("alice@example.com")
    assert Subscriber.objects.count() == 1
    assert len(mail.outbox) == 2
