"""Sign-up: find or create subscribers, and queue their confirmations after commit."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

from notifications.delivery.receivers import enqueue_safely
from notifications.models import Subscriber
from notifications.signup import abuse_limits


@transaction.atomic
def sign_up(email: str | None, phone: str | None) -> Subscriber | None:
    """Register an email and/or phone; return the subscriber that holds the phone.

    Already-confirmed addresses are left alone, so the visitor sees the same
    answer whether or not an address was subscribed.
    """
    by_email = Subscriber.objects.filter(email=email).first() if email else None
    by_phone = Subscriber.objects.filter(phone=phone).first() if phone else None
    if email and phone and not by_email and not by_phone:
        by_email = by_phone = _create(email=email, phone=phone)
    if email and not by_email:
        by_email = _create(email=email)
    if phone and not by_phone:
        by_phone = _create(phone=phone)
    if by_email and by_email.email_opted_out_at:
        by_email = _resubscribe(by_email, "email")
    if by_phone and by_phone.phone_opted_out_at:
        by_phone = _resubscribe(by_phone, "phone")
    # Per destination, so nobody can flood one inbox or phone with confirmations. Counted for
    # confirmed addresses too, so the limit (which the code page reports) can't tell them apart.
    limit = settings.CONFIRMATIONS_PER_DESTINATION
    if by_email and abuse_limits.allow("confirm", by_email.email, limit) and not by_email.email_confirmed_at:
        transaction.on_commit(lambda: enqueue_safely("send_email_confirmation", by_email.pk))
    if by_phone and abuse_limits.allow("confirm", by_phone.phone, limit) and not by_phone.phone_confirmed_at:
        transaction.on_commit(lambda: enqueue_safely("send_phone_code", by_phone.pk))
    return by_phone


def resend_phone_code(subscriber: Subscriber) -> bool:
    """Queue a new SMS code after commit; False if the number has had its share of codes for now.

    It shares the sign-up's per-number limit, so asking here and signing up again add up. A
    confirmed number is counted and queued alike (the task sends it nothing), so the answer
    can't tell who is subscribed.
    """
    if not abuse_limits.allow("confirm", subscriber.phone, settings.CONFIRMATIONS_PER_DESTINATION):
        return False
    transaction.on_commit(lambda: enqueue_safely("send_phone_code", subscriber.pk))
    return True


def _resubscribe(subscriber: Subscriber, channel: str) -> Subscriber:
    """Someone who opted out signs up again: confirm the address afresh before sending anything."""
    setattr(subscriber, f"{channel}_opted_out_at", None)
    setattr(subscriber, f"{channel}_confirmed_at", None)
    subscriber.save(update_fields=[f"{channel}_opted_out_at", f"{channel}_confirmed_at"])
    return subscriber


def _create(**fields) -> Subscriber:
    try:
        with transaction.atomic():
            return Subscriber.objects.create(**fields)
    except IntegrityError:
        # A concurrent sign-up for the same address won the race.
        key, value = next(iter(fields.items()))
        return Subscriber.objects.get(**{key: value})
