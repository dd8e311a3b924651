"""Twilio inbound SMS and status callbacks, Anymail tracking: signed or refused, never a 500."""

from __future__ import annotations

import base64
import json

import pytest
from django.core import mail
from django.utils import timezone
from twilio.request_validator import RequestValidator

from incidents.models import Event, Incident, StatusPage
from incidents.timeline.incident_lifecycle import open_incident
from notifications.delivery.fanout import fan_out
from notifications.delivery.sending import Outcome, send_delivery
from notifications.models import Channel, Delivery, Subscriber

pytestmark = pytest.mark.django_db

TOKEN = "twilio-test-auth-token"
SITE = "https://status.example.com"
PHONE = "+14155552671"


@pytest.fixture(autouse=True)
def twilio_settings(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.SITE_URL = SITE
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret"}


@pytest.fixture
def subscriber() -> Subscriber:
    now = timezone.now()
    return Subscriber.objects.create(
        email="ops@example.com", phone=PHONE, email_confirmed_at=now, phone_confirmed_at=now
    )


def twilio_post(client, path: str, params: dict, *, signature: str | None = None):
    signed = RequestValidator(TOKEN).compute_signature(SITE + path, params)
    return client.post(
        path, params, headers={"X-Twilio-Signature": signed if signature is None else signature}
    )


# --- Inbound SMS


@pytest.mark.parametrize(
    "word", ["STOP", "stop", "StopAll", "UNSUBSCRIBE", "cancel", "END", "quit", " Stop."]
)
def test_stop_words_opt_the_number_out(client, subscriber, word):
    response = twilio_post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": word})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/xml")
    subscriber.refresh_from_db()
    assert subscriber.phone_opted_out_at is not None
    assert subscriber.confirmed_channels() == [Channel.EMAIL]


@pytest.mark.parametrize("word", ["START", "yes", "Unstop"])
def test_start_words_opt_the_number_back_in(client, subscriber, word):
    twilio_post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": "STOP"})
    twilio_post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": word})
    subscriber.refresh_from_db()
    assert subscriber.phone_opted_out_at is None
    assert Channel.SMS in subscriber.confirmed_channels()


@pytest.mark.parametrize("word", ["HELP", "info"])
def test_help_words_get_a_reply(client, subscriber, word):
    response = twilio_post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": word})
    body = response.content.decode()
    assert "<Message>" in body and "Reply STOP to unsubscribe" in body
    subscriber.refresh_from_db()
    assert subscriber.phone_opted_out_at is None


def test_other_texts_change_nothing_and_get_no_reply(client, subscriber):
    response = twilio_post(
        client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": "thanks, stop it later"}
    )
    assert "<Message>" not in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.phone_opted_out_at is None


def test_stop_from_a_number_on_two_pages_stops_both_and_start_resumes_both(client, subscriber):
    partner = StatusPage.objects.create(name="Partner Status", slug="partner")
    other = Subscriber.objects.create(page=partner, phone=PHONE, phone_confirmed_at=timezone.now())
    assert other.page_id != subscriber.page_id

    twilio_post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": "STOP"})
    assert all(s.phone_opted_out_at for s in Subscriber.objects.filter(phone=PHONE))

    response = twilio_post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": "HELP"})
    assert b"every status page" in response.content

    twilio_post(client, "/webhooks/twilio/inbound", {"From": PHONE, "Body": "start"})
    assert not any(s.phone_opted_out_at for s in Subscriber.objects.filter(phone=PHONE))


@pytest.mark.parametrize("signature", ["", "bm90LXRoZS1zaWduYXR1cmU=", None])
def test_a_bad_signature_is_403_and_changes_nothing(client, subscriber, signature):
    params = {"From": PHONE, "Body": "STOP"}
    if signature is None:  # signed for other parameters
        signature = RequestValidator(TOKEN).compute_signature(
            SITE + "/webhooks/twilio/inbound", {"From": PHONE}
        )
    response = client.post("/webhooks/twilio/inbound", params, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.phone_opted_out_at is None


def test_without_a_twilio_token_every_webhook_is_refused(client, subscriber, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    response = client.post("/webhooks/twilio/inbound", {"From": PHONE, "Body": "STOP"})
    assert response.status_code == 403


def test_get_is_405(client):
    assert client.get("/webhooks/twilio/inbound").status_code == 405


# --- Status callbacks


@pytest.fixture
def sms_delivery(subscriber, component) -> Delivery:
    incident = open_incident(Incident(name="Queue backlog", impact="minor"), "Looking.", [component])
    event = Event.objects.get(incident=incident)
    return Delivery.objects.create(
        event=event, subscriber=subscriber, channel=Channel.SMS, status="sent", provider_id="SM123"
    )


def callback(client, status: str, **extra):
    return twilio_post(
        client, "/webhooks/twilio/status", {"MessageSid": "SM123", "MessageStatus": status, **extra}
    )


def test_status_callbacks_move_a_delivery_forward(client, sms_delivery):
    for status in ["queued", "sent", "delivered"]:
        assert callback(client, status).status_code == 200
        sms_delivery.refresh_from_db()
        assert sms_delivery.provider_status == status


def test_an_out_of_order_callback_never_moves_a_delivery_backwards(client, sms_delivery):
    callback(client, "delivered")
    callback(client, "sent")
    callback(client, "queued")
    sms_delivery.refresh_from_db()
    assert sms_delivery.provider_status == "delivered"


def test_an_undeliverable_landline_suppresses_the_number(client, sms_delivery, subscriber):
    callback(client, "undelivered", ErrorCode="30006")
    subscriber.refresh_from_db()
    assert subscriber.phone_suppressed_at is not None and subscriber.email_suppressed_at is None


def test_a_transient_carrier_failure_does_not_suppress(client, sms_delivery, subscriber):
    callback(client, "failed", ErrorCode="30003")
    subscriber.refresh_from_db()
    assert subscriber.phone_suppressed_at is None


def test_a_badly_signed_callback_changes_nothing(client, sms_delivery):
    response = client.post(
        "/webhooks/twilio/status",
        {"MessageSid": "SM123", "MessageStatus": "failed"},
        headers={"X-Twilio-Signature": "x"},
    )
    assert response.status_code == 403
    sms_delivery.refresh_from_db()
    assert sms_delivery.provider_status == ""


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"MessageSid": "SM123"},
        {"MessageSid": "SM999", "MessageStatus": "delivered"},
        {"MessageSid": "SM123", "MessageStatus": "exploded"},
    ],
)
def test_unknown_or_incomplete_callbacks_are_ignored_without_error(client, sms_delivery, params):
    assert twilio_post(client, "/webhooks/twilio/status", params).status_code == 200
    sms_delivery.refresh_from_db()
    assert sms_delivery.provider_status == ""


# --- Anymail tracking (Postmark's format as the example ESP)


def postmark(client, payload: dict, auth: str = "hook:s3cret"):
    headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()}
    return client.post(
        "/anymail/postmark/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        headers=headers,
    )


HARD_BOUNCE = {
    "RecordType": "Bounce",
    "Type": "HardBounce",
    "TypeCode": 1,
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    "Email": "ops@example.com",
    "BouncedAt": "2026-11-22T10:00:00Z",
    "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
}


def test_a_hard_bounce_suppresses_the_address_and_stops_later_sends(client, subscriber, component):
    assert postmark(client, HARD_BOUNCE).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.email_suppressed_at is not None

    incident = open_incident(Incident(name="Queue backlog", impact="minor"), "Looking.", [component])
    fan_out(Event.objects.get(incident=incident).pk, enqueue=lambda ids: None)
    assert list(Delivery.objects.values_list("channel", flat=True)) == [Channel.SMS]


def test_a_spam_complaint_suppresses_the_address(client, subscriber):
    complaint = {**HARD_BOUNCE, "RecordType": "SpamComplaint", "Type": "SpamComplaint", "TypeCode": 512}
    assert postmark(client, complaint).status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.email_suppressed_at is not None


def test_a_delivery_event_updates_the_delivery_and_suppresses_nothing(client, subscriber, component):
    incident = open_incident(Incident(name="Queue backlog", impact="minor"), "Looking.", [component])
    delivery = Delivery.objects.create(
        event=Event.objects.get(incident=incident),
        subscriber=subscriber,
        channel=Channel.EMAIL,
        status="sent",
        provider_id=HARD_BOUNCE["MessageID"],
    )
    delivered = {
        "RecordType": "Delivery",
        "MessageID": HARD_BOUNCE["MessageID"],
        "Recipient": "ops@example.com",
        "DeliveredAt": "2026-11-22T10:00:00Z",
        "Details": "",
        "Tag": "",
        "ServerID": 1,
    }
    assert postmark(client, delivered).status_code == 200
    delivery.refresh_from_db()
    subscriber.refresh_from_db()
    assert delivery.provider_status == "delivered" and subscriber.email_suppressed_at is None


@pytest.mark.parametrize("auth", ["hook:wrong", "nobody:s3cret", ""])
def test_tracking_without_the_webhook_secret_is_refused_and_changes_nothing(client, subscriber, auth):
    response = postmark(client, HARD_BOUNCE, auth=auth)
    assert 400 <= response.status_code < 500
    subscriber.refresh_from_db()
    assert subscriber.email_suppressed_at is None


def delivered_event(delivery_id) -> dict:
    return {
        "RecordType": "Delivery",
        "MessageID": "0a129aee-e1cd-480d-b08d-4f48548ff48d",
        "Recipient": "ops@example.com",
        "DeliveredAt": "2026-11-22T10:00:00Z",
        "Details": "",
        "Tag": "",
        "ServerID": 1,
        "Metadata": {"delivery_id": str(delivery_id)},
    }


@pytest.mark.parametrize(
    "left", [{"status": "sending"}, {"status": "queued", "maybe_sent_at": "2026-11-22T09:59:00Z"}]
)
def test_the_esp_naming_a_delivery_a_killed_worker_left_open_settles_it(client, subscriber, component, left):
    incident = open_incident(Incident(name="Queue backlog", impact="minor"), "Looking.", [component])
    delivery = Delivery.objects.create(
        event=Event.objects.get(incident=incident), subscriber=subscriber, channel=Channel.EMAIL, **left
    )

    assert postmark(client, delivered_event(delivery.pk)).status_code == 200

    delivery.refresh_from_db()
    assert (delivery.status, delivery.provider_id) == ("sent", "0a129aee-e1cd-480d-b08d-4f48548ff48d")
    assert delivery.maybe_sent_at is None
    assert send_delivery(delivery.pk) is Outcome.SKIPPED  # the sweeper's resend finds nothing to do
    assert mail.outbox == []


def test_the_esp_naming_a_delivery_waiting_on_a_refusal_leaves_it_queued(client, subscriber, component):
    incident = open_incident(Incident(name="Queue backlog", impact="minor"), "Looking.", [component])
    delivery = Delivery.objects.create(
        event=Event.objects.get(incident=incident), subscriber=subscriber, channel=Channel.EMAIL
    )

    assert postmark(client, delivered_event(delivery.pk)).status_code == 200

    delivery.refresh_from_db()
    assert delivery.status == "queued"


@pytest.mark.parametrize("delivery_id", ["x1", "9" * 40, "١٢", "-1", ""])
def test_a_strange_delivery_id_in_esp_metadata_is_ignored(client, subscriber, delivery_id):
    assert postmark(client, delivered_event(delivery_id)).status_code == 200


@pytest.mark.parametrize(
    "path, body",
    [
        ("/anymail/postmark/tracking/", "not json"),
        ("/anymail/postmark/tracking/", "[" * 5000 + "]" * 5000),
        ("/anymail/sendgrid/tracking/", "[" * 5000 + "]" * 5000),
        ("/anymail/postmark/tracking/", '{"RecordType": "Bounce", "Email": ["not", "text"]}'),
    ],
)
def test_an_unreadable_tracking_body_is_400_not_500(client, subscriber, path, body):
    headers = {"Authorization": "Basic " + base64.b64encode(b"hook:s3cret").decode()}
    response = client.post(path, data=body, content_type="application/json", headers=headers)

    assert response.status_code == 400
    assert Subscriber.objects.get(pk=subscriber.pk).email_suppressed_at is None


@pytest.mark.parametrize("esp", ["mailgun", "amazon_ses"])
def test_an_esp_not_set_up_here_answers_404_not_500(client, esp):
    headers = {"Authorization": "Basic " + base64.b64encode(b"hook:s3cret").decode()}
    response = client.post(
        f"/anymail/{esp}/tracking/", data="{}", content_type="application/json", headers=headers
    )

    assert response.status_code == 404
