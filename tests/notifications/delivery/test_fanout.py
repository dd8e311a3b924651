from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import Event, EventKind, Incident, IncidentStatus
from incidents.timeline.incident_lifecycle import open_incident, post_update
from notifications.delivery import gsm
from notifications.delivery.channels.base import DeliveryError
from notifications.delivery.channels.email import message_id_for
from notifications.delivery.channels.sms import BaseBackend
from notifications.delivery.fanout import fan_out
from notifications.delivery.sending import Outcome, send_delivery
from notifications.models import Channel, Delivery, DeliveryStatus, FanOut, Subscriber

pytestmark = pytest.mark.django_db


class TransientFailureBackend(BaseBackend):
    """An SMS provider that is having a bad day (timeouts, 5xx)."""

    def send(self, to: str, body: str) -> str:
        raise DeliveryError("provider timed out", permanent=False)


class PermanentFailureBackend(BaseBackend):
    """An SMS provider that says this number will never work."""

    def send(self, to: str, body: str) -> str:
        raise DeliveryError("invalid number", permanent=True)


@pytest.fixture
def incident(component) -> Incident:
    return open_incident(
        Incident(name="Queue backlog in eu-west", impact="minor"),
        "We are looking into delayed messages.",
        components=[component],
    )


@pytest.fixture
def event(incident) -> Event:
    return Event.objects.get(incident=incident, kind=EventKind.INCIDENT_CREATED)


@pytest.fixture
def run_fan_out(django_capture_on_commit_callbacks):
    """Run fan_out and return (created, enqueued chunks), running only its own on-commit callbacks."""

    def run(event_id: int) -> tuple[int, list[list[int]]]:
        chunks: list[list[int]] = []
        # The callbacks call chunks.append, never a Celery task.
        with django_capture_on_commit_callbacks(execute=True):
            created = fan_out(event_id, enqueue=chunks.append)
        return created, chunks

    return run


def subscriber(n: int, *, email: bool = True, sms: bool = False, confirmed: bool = True, **fields):
    now = timezone.now() if confirmed else None
    return Subscriber.objects.create(
        email=f"user{n}@example.com" if email else None,
        phone=f"+1415555{n:04d}" if sms else None,
        email_confirmed_at=now if email else None,
        phone_confirmed_at=now if sms else None,
        **fields,
    )


def channels_by_subscriber(event: Event) -> dict[int, set[str]]:
    result: dict[int, set[str]] = {}
    for subscriber_id, channel in Delivery.objects.filter(event=event).values_list(
        "subscriber_id", "channel"
    ):
        result.setdefault(subscriber_id, set()).add(channel)
    return result


# --- fan-out


def test_fan_out_creates_one_delivery_per_confirmed_channel_of_each_matching_subscriber(event, run_fan_out):
    email_only = subscriber(1)
    sms_only = subscriber(2, email=False, sms=True)
    both = subscriber(3, sms=True)
    unconfirmed = subscriber(4, sms=True, confirmed=False)
    half_confirmed = Subscriber.objects.create(
        email="user5@example.com", phone="+14155550005", phone_confirmed_at=timezone.now()
    )
    other_kinds = subscriber(6, sms=True, event_kinds=[EventKind.COMPONENT_STATUS_CHANGED])

    created, chunks = run_fan_out(event.pk)

    assert channels_by_subscriber(event) == {
        email_only.pk: {Channel.EMAIL},
        sms_only.pk: {Channel.SMS},
        both.pk: {Channel.EMAIL, Channel.SMS},
        half_confirmed.pk: {Channel.SMS},
    }
    assert unconfirmed.pk not in channels_by_subscriber(event)
    assert other_kinds.pk not in channels_by_subscriber(event)
    assert created == 5
    assert sorted(pk for chunk in chunks for pk in chunk) == sorted(
        Delivery.objects.filter(event=event).values_list("pk", flat=True)
    )
    assert set(Delivery.objects.filter(event=event).values_list("status", flat=True)) == {
        DeliveryStatus.QUEUED
    }
    assert FanOut.objects.get(event=event).finished_at is not None


def test_fan_out_of_a_missing_event_does_nothing(run_fan_out):
    subscriber(1)

    assert run_fan_out(10**9) == (0, [])
    assert not Delivery.objects.exists()


def test_fan_out_with_no_subscribers_finishes_with_nothing_to_send(event, run_fan_out):
    assert run_fan_out(event.pk) == (0, [])
    assert FanOut.objects.get(event=event).finished_at is not None


def test_running_a_finished_fan_out_again_creates_and_enqueues_nothing(event, run_fan_out):
    subscriber(1)
    subscriber(2, sms=True)
    run_fan_out(event.pk)
    before = Delivery.objects.count()

    created, chunks = run_fan_out(event.pk)

    assert (created, chunks) == (0, [])
    assert Delivery.objects.count() == before == 3


def test_replaying_a_fan_out_from_the_start_creates_no_duplicate_deliveries(event, run_fan_out):
    subscriber(1)
    subscriber(2, sms=True)
    run_fan_out(event.pk)
    first_ids = set(Delivery.objects.values_list("pk", flat=True))
    # As if the worker died after writing deliveries but before saving its progress.
    FanOut.objects.filter(event=event).update(cursor=0, finished_at=None)

    run_fan_out(event.pk)

    assert set(Delivery.objects.values_list("pk", flat=True)) == first_ids
    assert len(first_ids) == 3


def test_fan_out_enqueues_in_chunks_of_the_configured_size(event, run_fan_out, settings):
    settings.FANOUT_CHUNK_SIZE = 2
    for n in range(5):
        subscriber(n)

    created, chunks = run_fan_out(event.pk)

    assert created == 5
    assert [len(chunk) for chunk in chunks] == [2, 2, 1]
    assert len({pk for chunk in chunks for pk in chunk}) == 5


def test_fan_out_resumes_after_its_saved_cursor(event, run_fan_out):
    subscribers = [subscriber(n) for n in range(4)]
    FanOut.objects.create(event=event, cursor=subscribers[1].pk)

    created, chunks = run_fan_out(event.pk)

    assert created == 2
    assert set(channels_by_subscriber(event)) == {subscribers[2].pk, subscribers[3].pk}
    fanout = FanOut.objects.get(event=event)
    assert fanout.cursor == subscribers[3].pk
    assert fanout.finished_at is not None


def test_later_incident_events_fan_out_separately(incident, run_fan_out):
    subscriber(1)
    post_update(incident, IncidentStatus.RESOLVED, "Messages are flowing again.")
    resolved = Event.objects.get(incident=incident, kind=EventKind.INCIDENT_RESOLVED)

    run_fan_out(resolved.pk)

    assert Delivery.objects.filter(event=resolved).count() == 1


# --- sending one delivery


def delivery_for(event: Event, channel: str) -> Delivery:
    sms = channel == Channel.SMS
    return Delivery.objects.create(
        event=event, subscriber=subscriber(1, email=not sms, sms=sms), channel=channel
    )


def test_email_delivery_is_sent_with_the_incident_in_the_subject_and_a_stable_message_id(event, incident):
    delivery = delivery_for(event, Channel.EMAIL)

    assert send_delivery(delivery.pk) is Outcome.SENT

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["user1@example.com"]
    assert incident.name in message.subject
    expected_id = message_id_for(delivery)
    assert message.extra_headers["Message-ID"] == expected_id
    assert message.message()["Message-ID"] == expected_id
    assert f"/incidents/{incident.pk}/" in message.body
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 1
    assert delivery.sent_at is not None
    assert delivery.provider_id == expected_id
    assert message_id_for(delivery) == expected_id


def test_sms_delivery_is_gsm7_and_links_to_the_incident(component, sms_outbox, settings):
    incident = open_incident(
        Incident(name="\u201cQueue\u201d backlog \u2013 eu\u00a0west", impact="minor"),
        "We\u2019re looking into it\u2026",
        components=[component],
    )
    event = Event.objects.get(incident=incident)
    delivery = delivery_for(event, Channel.SMS)

    assert send_delivery(delivery.pk) is Outcome.SENT

    assert len(sms_outbox) == 1
    sms = sms_outbox[0]
    assert sms.to == "+14155550001"
    assert gsm.to_gsm7(sms.body) == sms.body
    assert all(c in gsm._BASIC or c in gsm._EXTENDED for c in sms.body)
    assert gsm.segments(sms.body) <= 2
    assert f"{settings.SITE_URL}/incidents/{incident.pk}/" in sms.body
    assert '"Queue" backlog - eu west' in sms.body
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_long_sms_is_cut_but_keeps_the_incident_link(component, sms_outbox, settings):
    incident = open_incident(Incident(name="Queue backlog", impact="minor"), "word " * 200)
    delivery = delivery_for(Event.objects.get(incident=incident), Channel.SMS)

    send_delivery(delivery.pk)

    body = sms_outbox[0].body
    assert gsm.segments(body) <= 2
    assert body.endswith(f"{settings.SITE_URL}/incidents/{incident.pk}/")


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.SMS])
def test_sending_a_delivery_twice_is_skipped_and_sends_nothing(event, sms_outbox, channel):
    delivery = delivery_for(event, channel)
    send_delivery(delivery.pk)
    sent = len(mail.outbox) + len(sms_outbox)

    assert send_delivery(delivery.pk) is Outcome.SKIPPED

    assert len(mail.outbox) + len(sms_outbox) == sent == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_a_delivery_claimed_by_another_worker_is_skipped(event, sms_outbox):
    delivery = delivery_for(event, Channel.SMS)
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING)

    assert send_delivery(delivery.pk) is Outcome.SKIPPED
    assert sms_outbox == []


def test_transient_error_leaves_the_delivery_queued_for_a_retry(event, settings):
    settings.SMS_BACKEND = f"{__name__}.TransientFailureBackend"
    delivery = delivery_for(event, Channel.SMS)

    assert send_delivery(delivery.pk) is Outcome.RETRY

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.QUEUED
    assert delivery.attempts == 1
    assert "timed out" in delivery.error


def test_transient_errors_fail_the_delivery_after_the_last_attempt(event, settings):
    settings.SMS_BACKEND = f"{__name__}.TransientFailureBackend"
    settings.NOTIFY_MAX_ATTEMPTS = 3
    delivery = delivery_for(event, Channel.SMS)

    outcomes = [send_delivery(delivery.pk) for _ in range(4)]

    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED, Outcome.SKIPPED]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3


def test_permanent_error_fails_the_delivery_at_once(event, settings):
    settings.SMS_BACKEND = f"{__name__}.PermanentFailureBackend"
    delivery = delivery_for(event, Channel.SMS)

    assert send_delivery(delivery.pk) is Outcome.FAILED

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert "invalid number" in delivery.error
    assert send_delivery(delivery.pk) is Outcome.SKIPPED


def test_permanent_error_stops_later_sends_to_that_number_but_not_to_the_email(
    event, incident, settings, run_fan_out
):
    settings.SMS_BACKEND = f"{__name__}.PermanentFailureBackend"
    person = subscriber(1, email=True, sms=True)
    run_fan_out(event.pk)
    sms = Delivery.objects.get(event=event, subscriber=person, channel=Channel.SMS)

    assert send_delivery(sms.pk) is Outcome.FAILED

    person.refresh_from_db()
    assert person.phone_suppressed_at is not None and person.email_suppressed_at is None
    post_update(incident, IncidentStatus.RESOLVED, "Fixed.")
    resolved = Event.objects.get(incident=incident, kind=EventKind.INCIDENT_RESOLVED)
    run_fan_out(resolved.pk)
    assert channels_by_subscriber(resolved) == {person.pk: {Channel.EMAIL}}
