"""The webhook channel: Statuspage's webhook JSON, signed, POSTed to the subscriber's URL (safe_http).

A 2xx within WEBHOOK_TIMEOUT_SECONDS is success; anything else (a 3xx included: redirects are not
followed) is a failure, retried with the usual backoff if it may work later (timeouts, 408, 429, 5xx).
A receiver cannot be asked what it took, so an attempt whose answer never came is sent again under
the same `X-Statuspage-Delivery` id, which the receiver uses to drop a repeat.

After WEBHOOK_PAUSE_AFTER_FAILURES deliveries in a row end failed, the webhook is paused
(`webhook_suppressed_at`) and its contact address is told once, with the link to resume it. A 4xx
counts as one failed delivery, as a 5xx that outlived its retries does: a receiver answering 404 or
401 for a while (a deploy, a rotated secret) is not paused on the first one, as Statuspage does not.
"""

from __future__ import annotations

import functools
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from incidents.models import Event, StatusPage
from notifications.delivery import safe_http, subscriber_links
from notifications.delivery.channels.base import ChannelSender, DeliveryError
from notifications.delivery.channels.email import send_email
from notifications.delivery.rendering import from_email, render_email
from notifications.delivery.webhook_payload import (
    WebhookBody,
    encode,
    signed_headers,
    webhook_content,
    with_meta,
)
from notifications.models import Channel, Subscriber

logger = logging.getLogger(__name__)


class WebhookFailure(DeliveryError):
    """The receiver did not take the POST: what it answered (status) or what went wrong, and where."""

    def __init__(self, message: str, *, permanent: bool, maybe_sent: bool, status: int | None, host: str):
        super().__init__(message, permanent=permanent, maybe_sent=maybe_sent)
        self.status = status
        self.host = host


def delivery_key(delivery) -> str:
    """The X-Statuspage-Delivery id: the same on every attempt of one delivery, so a repeat can be dropped."""
    return f"delivery-{delivery.pk}.event-{delivery.event_id}"


def shared_content(event: Event, page: StatusPage) -> WebhookBody:
    """The part of the body every webhook subscriber of the page gets (built once per process)."""
    return _content(event.pk, event.created_at, page.pk, page.updated_at)


@functools.lru_cache(maxsize=64)
def _content(event_id, created_at, page_id, page_updated) -> WebhookBody:
    # Keyed by creation time and the page's last change too, so a reused id or a renamed page
    # never hits a stale entry. Callers copy it (with_meta) and never change it.
    event = Event.objects.select_related("incident", "incident_update", "component").get(pk=event_id)
    return webhook_content(event, StatusPage.objects.get(pk=page_id))


class WebhookSender(ChannelSender):
    channel = Channel.WEBHOOK

    def message(self, delivery) -> WebhookBody:
        try:
            return shared_content(delivery.event, delivery.subscriber.page)
        except ValueError as exc:  # an event the page does not show (a component moved off it)
            raise DeliveryError(f"nothing to send: {exc}", permanent=True) from None

    def send(self, delivery, message, connection=None) -> str:
        subscriber = delivery.subscriber
        unsubscribe = subscriber_links.unsubscribe_url(subscriber, Channel.WEBHOOK)
        body = encode(with_meta(message, unsubscribe))
        key = delivery_key(delivery)
        headers = signed_headers(subscriber.webhook_secret, key, delivery.event.kind, body)
        try:
            safe_http.post_json(subscriber.webhook_url, body, headers, settings.WEBHOOK_TIMEOUT_SECONDS)
        except safe_http.OutboundError as exc:
            raise WebhookFailure(
                exc.message,
                permanent=not exc.transient,
                # No answer: the receiver may have taken it (the next attempt sends it again, same id).
                maybe_sent=exc.transient and exc.status is None,
                status=exc.status,
                host=urlsplit(subscriber.webhook_url).hostname or "",
            ) from exc
        if subscriber.webhook_failures:
            Subscriber.objects.filter(pk=subscriber.pk).update(webhook_failures=0)
        return key

    def address_is_dead(self, delivery) -> None:
        """A 4xx does not stop a webhook at once: failed() counts it, and pauses after several."""

    def failed(self, delivery, error: DeliveryError, *, retrying: bool) -> None:
        if retrying or not isinstance(error, WebhookFailure):
            return  # an attempt that will be retried, or no fault of the receiver's
        rows = Subscriber.objects.filter(pk=delivery.subscriber_id)
        rows.update(webhook_failures=F("webhook_failures") + 1)
        # One worker wins this conditional update, so the contact is told once per pause.
        paused = rows.filter(
            webhook_suppressed_at__isnull=True,
            webhook_failures__gte=settings.WEBHOOK_PAUSE_AFTER_FAILURES,
        ).update(webhook_suppressed_at=timezone.now())
        if paused:
            logger.warning("webhook of subscriber %s paused after repeated failures", delivery.subscriber_id)
            tell_contact(rows.select_related("page").get(), error)


def tell_contact(subscriber: Subscriber, error: WebhookFailure) -> None:
    """Email the webhook's contact that it is paused: what failed, where, and how to resume it."""
    if not subscriber.email:
        return
    page = subscriber.page
    context = {
        "host": error.host,
        "error": str(error),  # "answered 503", "no answer within 30 s": no address in it
        "failures": subscriber.webhook_failures,
        "manage_url": subscriber_links.manage_url(subscriber),
    }
    content = render_email("webhook_paused", context, page)
    try:
        send_email(subscriber.email, content.subject, content.text, content.html, from_email=from_email(page))
    except DeliveryError as exc:
        # The pause stands; the manage page shows it, and the next pause tells them again.
        logger.warning("could not tell subscriber %s their webhook is paused: %s", subscriber.pk, exc)
