"""Send one delivery: claim it atomically, send once, record the outcome on the row.

An attempt whose outcome is unknown (its worker was killed, the provider's answer never came) leaves
`maybe_sent_at` on the row; the next attempt first asks the provider whether it already has the
message (each channel's `already_taken`, channels/): Twilio can be asked; SMTP and the ESP APIs
cannot, so an email is sent again with the same Message-ID, which mail systems such as Gmail and
Exchange keep only once; with an ESP, its tracking webhook settles the delivery first
(`settle_taken`), usually long before the sweeper would resend.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import Enum

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from notifications.delivery.channels import SENDERS
from notifications.delivery.channels.base import DeliveryError
from notifications.models import Delivery, DeliveryStatus

logger = logging.getLogger(__name__)


class Outcome(Enum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # someone else holds or finished it


def send_delivery(delivery_id: int, email_connection=None) -> Outcome:
    claimed_at = timezone.now()
    claimed = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING, attempts=F("attempts") + 1, updated_at=claimed_at
    )
    if claimed != 1:
        return Outcome.SKIPPED
    delivery = Delivery.objects.select_related("subscriber__page", "event").get(pk=delivery_id)
    if delivery.channel not in delivery.subscriber.confirmed_channels():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SUPPRESSED,
            error="address suppressed or unconfirmed",
            updated_at=timezone.now(),
        )
        return Outcome.SKIPPED
    sender = SENDERS[delivery.channel]
    try:
        message = sender.message(delivery)
        provider_id = sender.already_taken(delivery, message) if delivery.maybe_sent_at else None
        if provider_id:
            logger.info("delivery %s: the provider already has it as %s", delivery.pk, provider_id)
        else:
            provider_id = sender.send(delivery, message, connection=email_connection)
    except DeliveryError as exc:
        return _record_failure(delivery, exc, claimed_at)
    except SoftTimeLimitExceeded:
        raise  # the task's own deadline, not the provider's failure: the sweeper settles this row
    except Exception as exc:  # noqa: BLE001 - a bug must not strand the row in "sending"
        logger.exception("delivery %s: unexpected error", delivery.pk)
        unexpected = DeliveryError(f"unexpected error: {exc}", permanent=False, maybe_sent=True)
        return _record_failure(delivery, unexpected, claimed_at)
    _record_sent(Delivery.objects.filter(pk=delivery.pk), provider_id)
    return Outcome.SENT


def settle_taken(delivery_id: int, provider_id: str) -> None:
    """Record that the provider has this delivery's message, if no attempt has recorded it yet."""
    unsure = Q(status=DeliveryStatus.SENDING) | Q(status=DeliveryStatus.QUEUED, maybe_sent_at__isnull=False)
    _record_sent(Delivery.objects.filter(unsure, pk=delivery_id), provider_id)


def _record_sent(rows, provider_id: str) -> None:
    now = timezone.now()
    rows.update(
        status=DeliveryStatus.SENT,
        provider_id=provider_id[:100],
        error="",
        maybe_sent_at=None,
        sent_at=now,
        updated_at=now,
    )


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff after the n-th failed attempt, capped."""
    base, cap = settings.NOTIFY_RETRY_BASE_SECONDS, settings.NOTIFY_RETRY_CAP_SECONDS
    return min(cap, base * 2 ** max(0, attempts - 1))


def _record_failure(delivery: Delivery, exc: DeliveryError, claimed_at: datetime) -> Outcome:
    retry = not exc.permanent and delivery.attempts < settings.NOTIFY_MAX_ATTEMPTS
    status = DeliveryStatus.QUEUED if retry else DeliveryStatus.FAILED
    # The address's state first (stopped, paused, removed), so a settled delivery means it is in place.
    sender = SENDERS[delivery.channel]
    if exc.permanent:
        sender.address_is_dead(delivery)  # on every page it subscribed to, not only this one
    sender.failed(delivery, exc, retrying=retry)
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status,
        error=str(exc)[:500],
        updated_at=now,
        retry_at=now + timedelta(seconds=backoff_seconds(delivery.attempts)) if retry else None,
        # The earliest attempt that may have got through is where the provider's records are searched.
        maybe_sent_at=delivery.maybe_sent_at or (claimed_at if exc.maybe_sent else None),
    )
    logger.warning("delivery %s %s: %s", delivery.pk, "will retry" if retry else "failed", exc)
    return Outcome.RETRY if retry else Outcome.FAILED
