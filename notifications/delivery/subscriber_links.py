"""Signed links in every message (manage, unsubscribe one channel) and opting out by them, STOP or the ESP."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from notifications.models import Channel, Subscriber

MANAGE_SALT = "notifications.manage"
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def manage_url(subscriber: Subscriber) -> str:
    # No expiry: a link in a year-old email must still let its reader leave.
    token = signing.dumps(subscriber.pk, salt=MANAGE_SALT)
    return settings.SITE_URL + reverse("subscription-manage", args=[token])


def subscriber_for_manage_token(token: str) -> Subscriber | None:
    try:
        pk = signing.loads(token, salt=MANAGE_SALT)
    except signing.BadSignature:
        return None
    return Subscriber.objects.filter(pk=pk).first() if isinstance(pk, int) else None


def unsubscribe_url(subscriber: Subscriber, channel: str) -> str:
    address = subscriber.email if channel == Channel.EMAIL else subscriber.phone
    token = signing.dumps([subscriber.pk, channel, address], salt=UNSUBSCRIBE_SALT)
    return settings.SITE_URL + reverse("unsubscribe", args=[token])


def parse_unsubscribe_token(token: str) -> tuple[Subscriber, str] | None:
    try:
        pk, channel, address = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    field = "email" if channel == Channel.EMAIL else "phone"
    subscriber = Subscriber.objects.filter(pk=pk, **{field: address}).first()
    return (subscriber, channel) if subscriber else None


def opt_out(subscriber: Subscriber, channel: str) -> None:
    field = "email_opted_out_at" if channel == Channel.EMAIL else "phone_opted_out_at"
    Subscriber.objects.filter(pk=subscriber.pk, **{f"{field}__isnull": True}).update(
        **{field: timezone.now()}
    )


def opt_in_phone(phone: str) -> int:
    return Subscriber.objects.filter(phone=phone).update(phone_opted_out_at=None)
