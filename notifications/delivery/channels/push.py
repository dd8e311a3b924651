"""The browser push channel: a small JSON message per event, handed to the backend PUSH_BACKEND names.

The text is the event's SMS text (the same template, one line) under the page's name; the service
worker (statuspage/static/push-sw.js) shows it and opens `url` on a click. `tag` is the event, so a
resend replaces the notification on screen rather than adding a second: push services cannot be
asked whether they took a message, and an unsure attempt is simply sent again.
"""

from __future__ import annotations

import functools
import json

from django.conf import settings
from django.db.models import Q
from django.utils.module_loading import import_string

from incidents.models import EventKind, StatusPage
from notifications.delivery.channels.base import ChannelSender, DeliveryError
from notifications.delivery.rendering import event_link
from notifications.models import CHANNEL_FIELDS, Channel, Subscriber

# Push services take 4 KB of encrypted payload; the text is cut well before that.
MAX_BODY_CHARS = 600
# Incidents wake a phone at once; the rest may wait for the device's next convenient moment.
HIGH_URGENCY = {EventKind.INCIDENT_CREATED, EventKind.INCIDENT_UPDATED, EventKind.INCIDENT_RESOLVED}


class SubscriptionGone(DeliveryError):
    """The push service says this browser's subscription no longer exists (404/410): remove it."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class BaseBackend:
    def send(self, endpoint: str, keys: dict, payload: bytes, *, ttl: int, urgency: str, topic: str) -> str:
        """Encrypt and post one message to a subscription; return an id for it.

        Raise SubscriptionGone when the subscription is dead, DeliveryError otherwise.
        """
        raise NotImplementedError


def get_backend() -> BaseBackend:
    """One backend per process and configuration (it holds the parsed VAPID key)."""
    return _backend(settings.PUSH_BACKEND, settings.VAPID_PRIVATE_KEY, settings.VAPID_SUBJECT)


@functools.lru_cache(maxsize=4)
def _backend(path: str, private_key: str, subject: str) -> BaseBackend:
    return import_string(path)()


def push_payload(text: str, page: StatusPage, url: str, event_id: int) -> bytes:
    """The JSON the service worker shows: title, body, url, tag."""
    prefix = f"{page.name}: "
    body = " ".join((text[len(prefix) :] if text.startswith(prefix) else text).split())
    if len(body) > MAX_BODY_CHARS:
        body = body[: MAX_BODY_CHARS - 1].rstrip() + "\u2026"
    message = {"title": page.name, "body": body, "url": url, "tag": f"event-{event_id}"}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


def forget_endpoint(endpoint: str, page: StatusPage | None = None) -> int:
    """Remove a browser's subscription (on every page, or one): the push fields are cleared where the
    subscriber has another address, and a subscriber with no other address is deleted. Returns rows hit."""
    rows = Subscriber.objects.filter(push_endpoint=endpoint)
    if page is not None:
        rows = rows.filter(page=page)
    other = Q()
    for channel, (address, _) in CHANNEL_FIELDS.items():
        if channel != Channel.PUSH:
            other |= Q(**{f"{address}__isnull": False})
    cleared = rows.filter(other).update(
        push_endpoint=None,
        push_keys={},
        push_confirmed_at=None,
        push_suppressed_at=None,
        push_opted_out_at=None,
    )
    deleted, _ = rows.filter(~other).delete()  # cascades to their deliveries
    return cleared + deleted


class PushSender(ChannelSender):
    channel = Channel.PUSH

    def send(self, delivery, message, connection=None) -> str:
        subscriber, event = delivery.subscriber, delivery.event
        link = event_link(event, subscriber.page)
        return get_backend().send(
            subscriber.push_endpoint,
            subscriber.push_keys,
            push_payload(message, subscriber.page, link, event.pk),
            ttl=settings.PUSH_TTL_SECONDS,
            urgency="high" if event.kind in HIGH_URGENCY else "normal",
            topic=f"event-{event.pk}",  # a newer copy replaces one still waiting at the push service
        )

    def address_is_dead(self, delivery) -> None:
        """Only a 404/410 ends a subscription (in `failed`); a 400 or 413 is about this one message."""

    def failed(self, delivery, error: DeliveryError, *, retrying: bool) -> None:
        if isinstance(error, SubscriptionGone):
            forget_endpoint(delivery.subscriber.push_endpoint)
