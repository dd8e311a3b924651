"""Send one delivery: claim it atomically, send once, record the outcome on the row."""

from __future__ import annotations

import logging
from datetime import timedelta
from enum import Enum
from urllib.parse import urlsplit

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from notifications import preferences
from notifications.channels.base import DeliveryError
from notifications.channels.email import send_email
from notifications.channels.sms import send_sms
from notifications.models import Channel, Delivery, DeliveryStatus, Subscriber
from notifications.rendering import event_link, event_message, with_links

logger = logging.getLogger(__name__)


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # someone else holds or finished it


def send_delivery(delivery_id: int, email_connection=None) -> Outcome:
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, updated_at=timezone.now()
    )
    if claimed != 1:
        return Outcome.SKIPPED
    delivery = Delivery.objects.select_related("subscriber", "event").get(pk=delivery_id)
    if delivery.channel not in delivery.subscriber.confirmed_channels():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SUPPRESSED,
            error="address suppressed or unconfirmed",
            updated_at=timezone.now(),
        )
        return Outcome.SKIPPED
    try:
        provider_id = _send(delivery, email_connection)
    except DeliveryError as exc:
        return _record_failure(delivery, exc)
    except SoftTimeLimitExceeded:
        raise  # the task's own deadline, not the provider's failure: the sweeper settles this row
    except Exception as exc:  # noqa: BLE001 - a bug must not strand the row in "sending"
        logger.exception("delivery %s: unexpected error", delivery.pk)
        return _record_failure(delivery, DeliveryError(f"unexpected error: {exc}", permanent=False))
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENT,
        provider_id=provider_id[:100],
        error="",
        sent_at=timezone.now(),
        updated_at=timezone.now(),
    )
    return Outcome.SENT


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff after the n-th failed attempt, capped."""
    base, cap = settings.NOTIFY_RETRY_BASE_SECONDS, settings.NOTIFY_RETRY_CAP_SECONDS
    return min(cap, base * 2 ** max(0, attempts - 1))


def message_id_for(delivery: Delivery) -> str:
    """The same Message-ID on every attempt, so a resend is recognisable as one."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<delivery-{delivery.pk}.event-{delivery.event_id}@{domain}>"


def _send(delivery: Delivery, email_connection=None) -> str:
    subscriber = delivery.subscriber
    message = event_message(delivery.event, delivery.channel)
    if delivery.channel == Channel.EMAIL:
        unsubscribe = preferences.unsubscribe_url(subscriber, Channel.EMAIL)
        content = with_links(message, preferences.manage_url(subscriber), unsubscribe)
        return send_email(
            subscriber.email,
            content.subject,
            content.text,
            content.html,
            message_id=message_id_for(delivery),
            connection=email_connection,
            # RFC 8058 one-click unsubscribe: mail clients POST to the URL, no login needed.
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
    return send_sms(subscriber.phone, message, link=event_link(delivery.event))


def _record_failure(delivery: Delivery, exc: DeliveryError) -> Outcome:
    retry = not exc.permanent and delivery.attempts < settings.NOTIFY_MAX_ATTEMPTS
    status = DeliveryStatus.QUEUED if retry else DeliveryStatus.FAILED
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status,
        error=str(exc)[:500],
        updated_at=now,
        retry_at=now + timedelta(seconds=backoff_seconds(delivery.attempts)) if retry else None,
    )
    if exc.permanent:
        field = "email_suppressed_at" if delivery.channel == Channel.EMAIL else "phone_suppressed_at"
        Subscriber.objects.filter(pk=delivery.subscriber_id).update(**{field: timezone.now()})
    logger.warning("delivery %s %s: %s", delivery.pk, "will retry" if retry else "failed", exc)
    return Outcome.RETRY if retry else Outcome.FAILED
