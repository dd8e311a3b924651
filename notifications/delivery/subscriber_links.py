"""The links in every message (manage, unsubscribe one channel) and opting out by them, STOP or the ESP.

A link carries the subscriber's random `link_key` and a signature, nothing else: no row id, no
address. The key finds the row (a database leak alone can't make links: they need SECRET_KEY);
an unsubscribe link's signature also covers the channel's current address, so it stops working
if the address changes.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils import timezone

from incidents.public.page_routing import page_path, page_url
from notifications.models import CHANNEL_FIELDS, Channel, Subscriber

MANAGE_SALT = "notifications.manage.v2"
UNSUBSCRIBE_SALT = "notifications.unsubscribe.v2"
# What messages sent before the links became opaque carry: signed [id] and [id, channel, address].
LEGACY_MANAGE_SALT = "notifications.manage"
LEGACY_UNSUBSCRIBE_SALT = "notifications.unsubscribe"
CHANNEL_CODES = {
    Channel.EMAIL: "e",
    Channel.SMS: "s",
    Channel.WEBHOOK: "w",
    Channel.CHAT: "c",
    Channel.PUSH: "p",
}


def manage_url(subscriber: Subscriber) -> str:
    # No expiry: a link in a year-old email must still let its reader leave.
    token = signing.Signer(salt=MANAGE_SALT).sign(subscriber.link_key)
    return page_url(subscriber.page, page_path("subscription-manage", token))


def subscriber_for_manage_token(token: str) -> Subscriber | None:
    """The subscriber a manage link names (the caller checks it is opened on their page)."""
    try:
        key = signing.Signer(salt=MANAGE_SALT).unsign(token)
    except signing.BadSignature:
        return _legacy_manage(token)
    return Subscriber.objects.filter(link_key=key).first()


def unsubscribe_url(subscriber: Subscriber, channel: str) -> str:
    value = f"{subscriber.link_key}.{CHANNEL_CODES[channel]}"
    token = _unsubscribe_signer(subscriber, channel).sign(value)
    return page_url(subscriber.page, page_path("unsubscribe", token))


def parse_unsubscribe_token(token: str) -> tuple[Subscriber, str] | None:
    """The subscriber and channel an unsubscribe link names (the caller checks the page)."""
    value, _, _ = token.partition(":")
    key, _, code = value.partition(".")
    channel = next((c for c, letter in CHANNEL_CODES.items() if letter == code), None)
    subscriber = Subscriber.objects.filter(link_key=key).first() if key and channel else None
    if subscriber is None or not getattr(subscriber, _address_field(channel)):
        return _legacy_unsubscribe(token)
    try:
        _unsubscribe_signer(subscriber, channel).unsign(token)
    except signing.BadSignature:
        return None
    return subscriber, channel


def _unsubscribe_signer(subscriber: Subscriber, channel: str) -> signing.Signer:
    # The address is in the salt, not the token: the link can't be read for it.
    return signing.Signer(salt=f"{UNSUBSCRIBE_SALT}:{channel}:{getattr(subscriber, _address_field(channel))}")


def _address_field(channel: str) -> str:
    return CHANNEL_FIELDS[channel][0]


def _legacy_manage(token: str) -> Subscriber | None:
    if not settings.LEGACY_SUBSCRIBER_LINKS:
        return None
    try:
        pk = signing.loads(token, salt=LEGACY_MANAGE_SALT)
    except signing.BadSignature:
        return None
    return Subscriber.objects.filter(pk=pk).first() if isinstance(pk, int) else None


def _legacy_unsubscribe(token: str) -> tuple[Subscriber, str] | None:
    if not settings.LEGACY_SUBSCRIBER_LINKS:
        return None
    try:
        pk, channel, address = signing.loads(token, salt=LEGACY_UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or channel not in CHANNEL_CODES:
        return None
    subscriber = Subscriber.objects.filter(pk=pk, **{_address_field(channel): address}).first()
    return (subscriber, channel) if subscriber else None


def opt_out(subscriber: Subscriber, channel: str) -> None:
    field = f"{CHANNEL_FIELDS[channel][1]}_opted_out_at"
    Subscriber.objects.filter(pk=subscriber.pk, **{f"{field}__isnull": True}).update(
        **{field: timezone.now()}
    )


def opt_out_phone(phone: str) -> int:
    """SMS STOP: the number stops on every page it subscribed to."""
    return Subscriber.objects.filter(phone=phone, phone_opted_out_at__isnull=True).update(
        phone_opted_out_at=timezone.now()
    )


def opt_in_phone(phone: str) -> int:
    """SMS START: the number hears again from every page it subscribed to."""
    return Subscriber.objects.filter(phone=phone).update(phone_opted_out_at=None)
