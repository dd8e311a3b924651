"""Anymail tracking events from any ESP (bounces, complaints, unsubscribes, deliveries): the receiver."""

from __future__ import annotations

import logging
from functools import wraps

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailConfigurationError
from anymail.signals import tracking
from django.http import HttpResponse
from django.urls import URLPattern
from django.utils import timezone

from notifications.delivery import sending, subscriber_links
from notifications.models import Channel, Delivery, Subscriber

logger = logging.getLogger(__name__)

# Anymail normalises every ESP's tracking events; these mean "never send here again".
SUPPRESSING_EVENTS = {"bounced", "complained", "rejected"}
# Every other event says the ESP took the message.
NOT_TAKEN_EVENTS = {"rejected", "failed", "unknown"}


def on_tracking_event(sender, event, esp_name, **kwargs) -> None:
    """Receiver for anymail.signals.tracking (bounces, complaints, unsubscribes, deliveries)."""
    recipient = (event.recipient or "").lower()
    delivery_id = str((event.metadata or {}).get("delivery_id", ""))
    is_id = delivery_id.isascii() and delivery_id.isdigit() and len(delivery_id) < 19  # fits a bigint
    if is_id and event.event_type not in NOT_TAKEN_EVENTS:
        # A worker that died after the ESP took the message left its row open: close it, so the
        # sweeper does not send the email again.
        sending.settle_taken(int(delivery_id), str(event.message_id or ""))
    if event.message_id:
        Delivery.objects.filter(provider_id=str(event.message_id)[:100], channel=Channel.EMAIL).update(
            provider_status=event.event_type[:20]
        )
    if not recipient:
        return
    # The ESP speaks of the address, not of one page's subscription: every page's row for it follows.
    if event.event_type in SUPPRESSING_EVENTS:
        Subscriber.objects.filter(email=recipient).update(email_suppressed_at=timezone.now())
        logger.info("email to %s suppressed after %s from %s", recipient, event.event_type, esp_name)
    elif event.event_type == "unsubscribed":
        for subscriber in Subscriber.objects.filter(email=recipient):
            subscriber_links.opt_out(subscriber, Channel.EMAIL)


def connect() -> None:
    """Connect the receiver to Anymail's tracking signal; called once the app is ready."""
    tracking.connect(on_tracking_event, dispatch_uid="notifications.anymail_tracking")


def webhook_urls() -> tuple[list[URLPattern], str]:
    """Anymail's webhook URLs (for include()), each answering 4xx to whatever a caller sends."""
    patterns = [
        URLPattern(p.pattern, _guarded(p.callback), p.default_args, p.name) for p in anymail_urls.urlpatterns
    ]
    return patterns, anymail_urls.app_name


def _guarded(view):
    """Anymail raises on an ESP left unconfigured here and on bodies it cannot read: never a 500."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except AnymailConfigurationError:
            return _plain(404, "This ESP's webhook is not set up on this status page.")
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
            logger.warning("unreadable %s webhook body: %s", request.path, type(exc).__name__)
            return _plain(400, "The webhook body could not be read.")

    return guarded


def _plain(status: int, text: str) -> HttpResponse:
    return HttpResponse(text, status=status, content_type="text/plain")
