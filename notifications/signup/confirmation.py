"""Double opt-in: a signed link by email, a short code by SMS."""

from __future__ import annotations

import hmac
import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from notifications.delivery.channels.email import send_email
from notifications.delivery.channels.sms import send_sms
from notifications.delivery.rendering import render_email, render_sms
from notifications.models import Subscriber

EMAIL_SALT = "notifications.confirm-email"
PHONE_SALT = "notifications.verify-phone"


def email_token(subscriber: Subscriber) -> str:
    # Binding the address means a token stops working if the address changes.
    return signing.dumps([subscriber.pk, subscriber.email], salt=EMAIL_SALT)


def confirm_email(token: str) -> Subscriber | None:
    """Confirm the address a valid, unexpired token names; None if the token is bad."""
    try:
        pk, email = signing.loads(token, salt=EMAIL_SALT, max_age=settings.CONFIRM_LINK_MAX_AGE_SECONDS)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    subscriber = Subscriber.objects.filter(pk=pk, email=email).first()
    if subscriber and subscriber.email_confirmed_at is None:
        subscriber.email_confirmed_at = timezone.now()
        subscriber.save(update_fields=["email_confirmed_at"])
    return subscriber


def send_email_link(subscriber_id: int) -> None:
    subscriber = Subscriber.objects.filter(pk=subscriber_id, email__isnull=False).first()
    if subscriber is None or subscriber.email_confirmed_at:
        return
    link = settings.SITE_URL + reverse("subscribe-confirm-email", args=[email_token(subscriber)])
    content = render_email("confirm_email", {"link": link})
    send_email(subscriber.email, content.subject, content.text, content.html)


def phone_token(subscriber: Subscriber) -> str:
    return signing.dumps(subscriber.pk, salt=PHONE_SALT)


def subscriber_for_phone_token(token: str) -> Subscriber | None:
    try:
        pk = signing.loads(token, salt=PHONE_SALT, max_age=settings.CONFIRM_LINK_MAX_AGE_SECONDS)
    except signing.BadSignature:
        return None
    return Subscriber.objects.filter(pk=pk, phone__isnull=False).first()


def _code_hash(subscriber: Subscriber, code: str) -> str:
    return salted_hmac(PHONE_SALT, f"{subscriber.pk}:{subscriber.phone}:{code}").hexdigest()


def send_phone_code(subscriber_id: int) -> None:
    subscriber = Subscriber.objects.filter(pk=subscriber_id, phone__isnull=False).first()
    if subscriber is None or subscriber.phone_confirmed_at:
        return
    code = f"{secrets.randbelow(1_000_000):06d}"
    subscriber.phone_code_hash = _code_hash(subscriber, code)
    subscriber.phone_code_sent_at = timezone.now()
    subscriber.phone_code_tries = 0
    subscriber.save(update_fields=["phone_code_hash", "phone_code_sent_at", "phone_code_tries"])
    send_sms(
        subscriber.phone,
        render_sms("phone_code", {"code": code, "minutes": settings.SMS_CODE_MAX_AGE_SECONDS // 60}),
    )


def verify_phone_code(subscriber: Subscriber, code: str) -> str | None:
    """Confirm the phone if the code is right; return an error message otherwise."""
    sent_at = subscriber.phone_code_sent_at
    if not subscriber.phone_code_hash or sent_at is None:
        return "No code has been sent yet; wait a moment and try again."
    age = (timezone.now() - sent_at).total_seconds()
    if subscriber.phone_confirmed_at:
        # Answer as for any number, so codes cannot probe who is subscribed.
        matches = hmac.compare_digest(subscriber.phone_code_hash, _code_hash(subscriber, code.strip()))
        return None if matches else "That code is not right."
    if age > settings.SMS_CODE_MAX_AGE_SECONDS or subscriber.phone_code_tries >= settings.SMS_CODE_MAX_TRIES:
        return "This code has expired. Ask for a new one below."
    if not hmac.compare_digest(subscriber.phone_code_hash, _code_hash(subscriber, code.strip())):
        subscriber.phone_code_tries += 1
        subscriber.save(update_fields=["phone_code_tries"])
        return "That code is not right."
    subscriber.phone_confirmed_at = timezone.now()
    subscriber.save(update_fields=["phone_confirmed_at"])
    return None
