"""Celery tasks: thin wrappers taking ids; state lives in rows."""

from __future__ import annotations

import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from incidents.models import Event
from notifications.delivery import fanout, flapping, send_rate, sending
from notifications.delivery.channels.base import DeliveryError
from notifications.models import Delivery, DeliveryStatus
from notifications.signup import chat_proof, confirmation, webhook_signup

MAX_THROTTLE_WAIT = 20.0
SWEEP_WINDOW = timedelta(days=2)


@shared_task(acks_late=True)
def fanout_event(event_id: int, released: bool = False) -> int:
    return fanout.fan_out(
        event_id,
        enqueue=lambda ids: send_deliveries.delay(ids),
        hold=None if released else _release_later,
    )


def _release_later(component_id: int, seconds: float) -> None:
    transaction.on_commit(lambda: release_component.apply_async((component_id,), countdown=seconds + 1))


@shared_task(acks_late=True)
def release_component(component_id: int) -> None:
    """A component's quiet window ended: send its latest held change, if there is news."""
    event_id = flapping.release(component_id)
    if event_id:
        fanout_event.delay(event_id, released=True)


@shared_task(acks_late=True)
def send_deliveries(delivery_ids: list[int]) -> None:
    channels = dict(Delivery.objects.filter(pk__in=delivery_ids).values_list("pk", "channel"))
    # One SMTP session (or ESP connection pool) for the batch's emails, not one per message.
    email_connection = get_connection()
    if "email" in channels.values():
        try:
            email_connection.open()
        except OSError:
            pass  # each send then tries on its own and records its failure
    try:
        _send_batch(delivery_ids, channels, email_connection)
    finally:
        email_connection.close()


def _send_batch(delivery_ids: list[int], channels: dict[int, str], email_connection) -> None:
    waited = 0.0
    # Stop well before the soft time limit and hand the rest to a fresh task.
    deadline = time.monotonic() + settings.CELERY_TASK_SOFT_TIME_LIMIT * 0.6
    for index, delivery_id in enumerate(delivery_ids):
        if time.monotonic() > deadline:
            send_deliveries.delay(delivery_ids[index:])
            return
        channel = channels.get(delivery_id)
        if channel is None:
            continue
        wait = send_rate.take(channel)
        while wait > 0:
            if waited + wait > MAX_THROTTLE_WAIT:
                # Hand the rest back to the queue rather than hold a worker past its time limit.
                send_deliveries.apply_async((delivery_ids[index:],), countdown=wait)
                return
            time.sleep(wait)
            waited += wait
            wait = send_rate.take(channel)
        if sending.send_delivery(delivery_id, email_connection) is sending.Outcome.RETRY:
            retry_at = Delivery.objects.filter(pk=delivery_id).values_list("retry_at", flat=True).first()
            delay = max(0.0, (retry_at - timezone.now()).total_seconds()) if retry_at else 0.0
            send_deliveries.apply_async(([delivery_id],), countdown=delay)


@shared_task(acks_late=True)
def send_email_confirmation(verification_id: int) -> None:
    """Email a sign-up's confirmation link (it finds or creates the subscriber first)."""
    confirmation.send_email_link(verification_id)


@shared_task(acks_late=True)
def send_webhook_confirmation(verification_id: int) -> None:
    """Email a webhook sign-up's contact the link that confirms it."""
    webhook_signup.send_confirmation(verification_id)


@shared_task(acks_late=True)
def send_phone_code(verification_id: int) -> None:
    """Text a sign-up's code, new or asked for again (it finds or creates the subscriber first)."""
    confirmation.send_phone_code(verification_id)


# A transient failure (the app answered 5xx, or not at all) posts a fresh link a little later.
@shared_task(acks_late=True, autoretry_for=(DeliveryError,), retry_backoff=5, max_retries=4)
def send_chat_confirmation(verification_id: int) -> None:
    """Post a chat sign-up's confirmation link into the channel (it finds or creates the subscriber first)."""
    chat_proof.send_chat_link(verification_id)


@shared_task
def sweep() -> dict:
    """Re-enqueue fan-outs and deliveries that no worker finished."""
    now = timezone.now()
    # A fan-out or delivery untouched this long was stranded (broker down, worker killed).
    stranded_after = timedelta(seconds=settings.NOTIFY_STRANDED_AFTER_SECONDS)
    events = list(
        Event.objects.filter(
            created_at__gte=now - SWEEP_WINDOW,
            created_at__lt=now - stranded_after,
        )
        .exclude(fanout__finished_at__isnull=False)
        .values_list("pk", flat=True)[:1000]
    )
    for event_id in events:
        fanout_event.delay(event_id)
    # Past the hard time limit, a "sending" row belongs to a dead worker, which may have handed the
    # message over just before it died: queue it again marked so, and the next attempt asks the
    # provider before sending (see delivery/sending.py). The claim time is the row's last update.
    stuck = Delivery.objects.filter(
        status=DeliveryStatus.SENDING,
        updated_at__lt=now - timedelta(seconds=settings.NOTIFY_SENDING_STUCK_SECONDS),
    )
    stuck_ids = list(stuck.values_list("pk", flat=True)[:5000])
    Delivery.objects.filter(pk__in=stuck_ids, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.QUEUED,
        maybe_sent_at=Coalesce("maybe_sent_at", "updated_at"),
        updated_at=now,
    )
    waiting = Q(retry_at__isnull=True) | Q(retry_at__lt=now - stranded_after)
    stranded = stuck_ids + list(
        Delivery.objects.filter(
            waiting, status=DeliveryStatus.QUEUED, updated_at__lt=now - stranded_after
        ).values_list("pk", flat=True)[:5000]
    )
    for start in range(0, len(stranded), 100):
        send_deliveries.delay(stranded[start : start + 100])
    # A held change whose release task was lost (broker down): release it now.
    quiet = timedelta(seconds=settings.NOTIFY_COMPONENT_QUIET_SECONDS)
    held = flapping.held_components(now - SWEEP_WINDOW, now - quiet - stranded_after)
    for component_id in held:
        release_component.delay(component_id)
    return {"events": len(events), "deliveries": len(stranded), "held_components": len(held)}


# Each run stops after this long and continues in a fresh task, well inside the soft time limit,
# so a big import never holds a worker that alerts are waiting for.
IMPORT_SLICE_SECONDS = 40


@shared_task(acks_late=True)
def import_subscribers(job_id: int) -> None:
    """Work through a subscriber CSV import in batches, resuming where it stopped."""
    import logging

    from notifications.signup import bulk_import

    try:
        finished = bulk_import.run_job(job_id, budget_seconds=IMPORT_SLICE_SECONDS)
    except Exception as exc:  # noqa: BLE001 - the job row must say it stopped, whatever the cause
        logging.getLogger(__name__).exception("subscriber import %s failed", job_id)
        bulk_import.fail(
            job_id,
            f"The import stopped: {exc.__class__.__name__}. Rows up to the progress shown were imported.",
        )
        return
    if not finished:
        import_subscribers.delay(job_id)
