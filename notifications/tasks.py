"""Celery tasks: thin wrappers taking ids; state lives in rows."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from incidents.models import Event
from notifications import confirmation, fanout, sending
from notifications.models import Delivery, DeliveryStatus

RETRY_BASE_SECONDS = 10
RETRY_CAP_SECONDS = 600
# A fan-out or delivery untouched this long was stranded (broker down, worker killed).
STRANDED_AFTER = timedelta(minutes=2)
# Past the hard time limit a "sending" row belongs to a dead worker.
SENDING_STUCK_AFTER = timedelta(minutes=10)
SWEEP_WINDOW = timedelta(days=2)


@shared_task(acks_late=True)
def fanout_event(event_id: int) -> int:
    return fanout.fan_out(event_id, enqueue=lambda ids: send_deliveries.delay(ids))


@shared_task(acks_late=True)
def send_deliveries(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        if sending.send_delivery(delivery_id) is sending.Outcome.RETRY:
            attempts = Delivery.objects.filter(pk=delivery_id).values_list("attempts", flat=True)
            delay = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(0, attempts[0] - 1))
            send_deliveries.apply_async(([delivery_id],), countdown=delay)


@shared_task(acks_late=True)
def send_email_confirmation(subscriber_id: int) -> None:
    confirmation.send_email_link(subscriber_id)


@shared_task(acks_late=True)
def send_phone_code(subscriber_id: int) -> None:
    confirmation.send_phone_code(subscriber_id)


@shared_task
def sweep() -> dict:
    """Re-enqueue fan-outs and deliveries that no worker finished."""
    now = timezone.now()
    events = list(
        Event.objects.filter(
            created_at__gte=now - SWEEP_WINDOW,
            created_at__lt=now - STRANDED_AFTER,
        )
        .exclude(fanout__finished_at__isnull=False)
        .values_list("pk", flat=True)[:1000]
    )
    for event_id in events:
        fanout_event.delay(event_id)
    Delivery.objects.filter(status=DeliveryStatus.SENDING, updated_at__lt=now - SENDING_STUCK_AFTER).update(
        status=DeliveryStatus.QUEUED, updated_at=now
    )
    stranded = list(
        Delivery.objects.filter(
            status=DeliveryStatus.QUEUED, updated_at__lt=now - STRANDED_AFTER
        ).values_list("pk", flat=True)[:5000]
    )
    for start in range(0, len(stranded), 100):
        send_deliveries.delay(stranded[start : start + 100])
    return {"events": len(events), "deliveries": len(stranded)}
