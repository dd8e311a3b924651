"""An attempt whose outcome is unknown is checked with the provider before it is repeated."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import Event, Incident
from incidents.timeline.incident_lifecycle import open_incident
from notifications import tasks
from notifications.delivery.channels.base import DeliveryError
from notifications.delivery.channels.email import message_id_for
from notifications.delivery.sending import Outcome, send_delivery
from notifications.models import Channel, Delivery, DeliveryStatus, Subscriber
from notifications.providers import sms_backends, twilio_sms

pytestmark = pytest.mark.django_db


class TakesThenTimesOutBackend(sms_backends.LocmemBackend):
    """Twilio takes the message, then the answer is lost on the way back."""

    def send(self, to: str, body: str) -> str:
        super().send(to, body)
        raise DeliveryError("Twilio unreachable: read timed out", permanent=False, maybe_sent=True)


class RefusingBackend(sms_backends.LocmemBackend):
    """Twilio answers 429: it certainly did not take the message."""

    def send(self, to: str, body: str) -> str:
        raise DeliveryError("Twilio 429 code 20429: too many requests", permanent=False)


class LookupDownBackend(sms_backends.LocmemBackend):
    """The provider's API answers neither sends nor lookups."""

    def find(self, to, body, since):
        raise DeliveryError("Twilio lookup failed: connection refused", permanent=False, maybe_sent=True)


@pytest.fixture
def event(component) -> Event:
    incident = open_incident(
        Incident(name="Queue backlog in eu-west", impact="minor"), "Looking into it.", components=[component]
    )
    return Event.objects.get(incident=incident)


def delivery(event: Event, channel: str, **fields) -> Delivery:
    now = timezone.now()
    person = Subscriber.objects.create(
        email="reader@example.com" if channel == Channel.EMAIL else None,
        phone="+14155550001" if channel == Channel.SMS else None,
        email_confirmed_at=now,
        phone_confirmed_at=now,
    )
    return Delivery.objects.create(event=event, subscriber=person, channel=channel, **fields)


def killed_after_the_provider_took_it(row: Delivery):
    """What a worker SIGKILLed between the provider's answer and its own write leaves; its claim time."""
    assert send_delivery(row.pk) is Outcome.SENT
    long_ago = timezone.now() - timedelta(hours=1)
    Delivery.objects.filter(pk=row.pk).update(
        status=DeliveryStatus.SENDING, provider_id="", sent_at=None, updated_at=long_ago
    )
    return long_ago


def test_an_sms_the_provider_took_before_its_worker_died_is_settled_not_sent_again(
    event, sms_outbox, monkeypatch
):
    row = delivery(event, Channel.SMS)
    claimed_at = killed_after_the_provider_took_it(row)
    requeued: list[list[int]] = []
    monkeypatch.setattr(tasks.send_deliveries, "delay", requeued.append)

    tasks.sweep()
    row.refresh_from_db()
    assert requeued == [[row.pk]]
    assert (row.status, row.maybe_sent_at) == (DeliveryStatus.QUEUED, claimed_at)

    assert send_delivery(row.pk) is Outcome.SENT
    row.refresh_from_db()
    assert len(sms_outbox) == 1
    assert (row.status, row.provider_id, row.maybe_sent_at) == (DeliveryStatus.SENT, "locmem-1", None)
    assert row.attempts == 2


def test_the_sweeper_leaves_a_send_in_progress_alone(event, sms_outbox, monkeypatch):
    row = delivery(event, Channel.SMS, status=DeliveryStatus.SENDING)
    requeued: list[list[int]] = []
    monkeypatch.setattr(tasks.send_deliveries, "delay", requeued.append)

    tasks.sweep()

    row.refresh_from_db()
    assert requeued == []
    assert (row.status, row.maybe_sent_at) == (DeliveryStatus.SENDING, None)


def test_a_maybe_sent_sms_the_provider_does_not_have_is_sent(event, sms_outbox):
    row = delivery(event, Channel.SMS, maybe_sent_at=timezone.now())

    assert send_delivery(row.pk) is Outcome.SENT

    assert [sms.to for sms in sms_outbox] == ["+14155550001"]
    row.refresh_from_db()
    assert row.maybe_sent_at is None


def test_the_same_text_sent_before_the_unsure_attempt_is_not_taken_for_it(event, sms_outbox):
    row = delivery(event, Channel.SMS)
    send_delivery(row.pk)
    sms_outbox[0].at -= timedelta(hours=1)  # an earlier message with the very same text
    Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.QUEUED, maybe_sent_at=timezone.now())

    assert send_delivery(row.pk) is Outcome.SENT

    assert len(sms_outbox) == 2


def test_a_timeout_after_the_provider_took_the_sms_is_found_on_the_retry(event, sms_outbox, settings):
    settings.SMS_BACKEND = f"{__name__}.TakesThenTimesOutBackend"
    row = delivery(event, Channel.SMS)

    assert send_delivery(row.pk) is Outcome.RETRY
    row.refresh_from_db()
    assert row.maybe_sent_at is not None and "timed out" in row.error

    assert send_delivery(row.pk) is Outcome.SENT
    assert len(sms_outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.provider_id, row.error) == (DeliveryStatus.SENT, "locmem-1", "")


def test_a_failed_lookup_retries_later_and_sends_nothing(event, sms_outbox, settings):
    settings.SMS_BACKEND = f"{__name__}.LookupDownBackend"
    claimed_before = timezone.now() - timedelta(minutes=5)
    row = delivery(event, Channel.SMS, maybe_sent_at=claimed_before)

    assert send_delivery(row.pk) is Outcome.RETRY

    assert sms_outbox == []
    row.refresh_from_db()
    assert row.status == DeliveryStatus.QUEUED
    assert row.maybe_sent_at == claimed_before  # still searched from the first unsure attempt
    assert "lookup failed" in row.error


def test_a_definite_refusal_does_not_mark_the_delivery_maybe_sent(event, settings):
    settings.SMS_BACKEND = f"{__name__}.RefusingBackend"
    row = delivery(event, Channel.SMS)

    assert send_delivery(row.pk) is Outcome.RETRY

    row.refresh_from_db()
    assert row.maybe_sent_at is None


def test_a_maybe_sent_email_goes_again_with_the_same_message_id(event):
    row = delivery(event, Channel.EMAIL)
    killed_after_the_provider_took_it(row)
    Delivery.objects.filter(pk=row.pk).update(status=DeliveryStatus.QUEUED, maybe_sent_at=timezone.now())

    assert send_delivery(row.pk) is Outcome.SENT

    # SMTP cannot be asked what it took: the copy is recognisable as the same message.
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [message_id_for(row)] * 2
    # An ESP hands the delivery's id back in its tracking events, which settle the row first.
    assert mail.outbox[0].metadata == {"delivery_id": str(row.pk)}


def test_twilio_lookup_finds_a_message_by_number_text_and_time(twilio_server, settings):
    settings.TWILIO_ACCOUNT_SID = twilio_server.account_sid
    settings.TWILIO_AUTH_TOKEN = twilio_server.auth_token
    settings.TWILIO_API_BASE_URL = twilio_server.base_url
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.TWILIO_STATUS_CALLBACKS = False
    backend = twilio_sms.TwilioBackend()
    before = timezone.now()
    sid = backend.send("+14155550001", "Queue backlog: investigating")
    backend.send("+14155550002", "Queue backlog: investigating")
    backend.send("+14155550001", "Queue backlog: resolved")

    assert backend.find("+14155550001", "Queue backlog: investigating", before) == sid
    assert backend.find("+14155550003", "Queue backlog: investigating", before) is None
    assert backend.find("+14155550001", "Queue backlog: identified", before) is None
    assert backend.find("+14155550001", "Queue backlog: investigating", before + timedelta(hours=1)) is None
    assert twilio_server.lookups == 4
