"""Proof that someone holds an address: a link by email, a 6-digit code by SMS, from a fresh Verification.

The sign-up only records what is to be proved (registration.py); the worker finds or creates
the subscriber and sends (the slow, address-dependent work), and the link or code it sent is the
only thing that proves the address. Tokens are random and stored as SHA-256 hashes; codes as an
HMAC. A code is checked at most SMS_CODE_MAX_TRIES times, within SMS_CODE_MAX_AGE_SECONDS of
being sent, and once; each check is counted by a conditional UPDATE, so a burst of parallel
requests can't check more codes than the limits allow.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.crypto import salted_hmac

from incidents.models import StatusPage
from incidents.public.page_routing import page_path, page_url
from notifications.delivery.channels.email import send_email
from notifications.delivery.channels.sms import send_sms
from notifications.delivery.rendering import from_email, render_email, render_sms
from notifications.models import Channel, Subscriber, Verification
from notifications.signup import sms_numbers
from notifications.signup.proof_tokens import claim_link, hash_token, new_token, open_proof

CODE_SALT = "notifications.sms-code.v2"
FIELD = {Channel.EMAIL: "email", Channel.SMS: "phone"}


class CodeRefused(Exception):
    """A code that was not checked or not right: what to tell the person, and the HTTP status."""

    def __init__(self, message: str, status: int = 400, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


def start(
    channel: str, address: str, page: StatusPage, pair: Verification | None = None
) -> tuple[Verification, str]:
    """Record an address to prove for a page; return the proof and, for SMS, its verify page's token.

    The emailed link's token is made by the worker that sends it, so it never passes through the queue.
    """
    token = new_token() if channel == Channel.SMS else ""
    verification = Verification.objects.create(
        page=page,
        channel=channel,
        address=address,
        pair=pair,
        token_hash=hash_token(token) if token else None,
    )
    return verification, token


# --- email: a link


def send_email_link(verification_id: int) -> None:
    """Email the proof's link (once, even if the task runs twice); say so if the address is subscribed."""
    verification = (
        Verification.objects.filter(pk=verification_id, channel=Channel.EMAIL, sent_at__isnull=True)
        .select_related("page")
        .first()
    )
    if verification is None:
        return
    subscriber = _subscriber_for(verification)
    token = claim_link(verification.pk)
    if token is None:
        return
    page = verification.page
    link = page_url(page, page_path("subscribe-confirm-email", token))
    subscribed = bool(subscriber.email_confirmed_at and not subscriber.email_opted_out_at)
    content = render_email("confirm_email", {"link": link, "already_subscribed": subscribed}, page)
    send_email(verification.address, content.subject, content.text, content.html, from_email=from_email(page))
    _prune()


def confirm_email(token: str, page: StatusPage) -> Subscriber | None:
    """Confirm the address an emailed link was sent to; None if the link is unknown or expired.

    The link works again until it expires (mail scanners open links before people do), each time
    showing the subscription; it never undoes an unsubscribe made after it was sent.
    """
    verification = open_proof(token, Channel.EMAIL, page, sent_at__isnull=False, subscriber__isnull=False)
    return None if verification is None else _prove(verification, timezone.now())


# --- SMS: a code


def verification_for_page(token: str, page: StatusPage) -> Verification | None:
    """The SMS proof a verify page's token names, while its code can still be entered."""
    return open_proof(token, Channel.SMS, page, used_at__isnull=True)


def _code_hash(verification_id: int, code: str) -> str:
    return salted_hmac(CODE_SALT, f"{verification_id}:{code}", algorithm="sha256").hexdigest()


def send_phone_code(verification_id: int) -> None:
    """Text a new code for the proof; it replaces the one before and gets its own tries."""
    verification = (
        Verification.objects.filter(pk=verification_id, channel=Channel.SMS, used_at__isnull=True)
        .select_related("page")
        .first()
    )
    if verification is None:
        return
    try:
        sms_numbers.textable(verification.address)  # the rules may have changed since the sign-up
    except sms_numbers.NumberRefused:
        return
    _subscriber_for(verification)
    code = f"{secrets.randbelow(1_000_000):06d}"
    updated = Verification.objects.filter(pk=verification.pk, used_at__isnull=True).update(
        code_hash=_code_hash(verification.pk, code), sent_at=timezone.now(), tries=0
    )
    if not updated:
        return
    minutes = settings.SMS_CODE_MAX_AGE_SECONDS // 60
    context = {"code": code, "minutes": minutes}
    send_sms(verification.address, render_sms("phone_code", context, verification.page))
    _prune()


def verify_phone_code(verification: Verification, code: str) -> Subscriber:
    """Prove the number if `code` is the one texted last; raise CodeRefused otherwise.

    Counted before it is compared, in one transaction: one try of the code (at most
    SMS_CODE_MAX_TRIES), then one of the number (SMS_CODE_TRIES_PER_NUMBER, all its codes
    together). The per-IP limit is the caller's (views.py), in the cache.
    """
    now = timezone.now()
    with transaction.atomic():
        outcome = _check(verification.pk, code, now)
    if isinstance(outcome, CodeRefused):
        raise outcome
    return outcome


def _check(verification_id: int, code: str, now: datetime) -> Subscriber | CodeRefused:
    counted = Verification.objects.filter(
        pk=verification_id,
        used_at__isnull=True,
        sent_at__gte=now - timedelta(seconds=settings.SMS_CODE_MAX_AGE_SECONDS),
        tries__lt=settings.SMS_CODE_MAX_TRIES,
    ).update(tries=F("tries") + 1)
    if not counted:
        return CodeRefused(_why_not_checked(verification_id, now))
    # Our UPDATE holds the row's lock until commit: nobody changes it under us now.
    verification = Verification.objects.get(pk=verification_id)
    refused = _count_for_number(verification.subscriber_id, now)
    if refused:
        transaction.set_rollback(True)  # this check didn't happen; the code keeps its try
        return refused
    if not hmac.compare_digest(verification.code_hash, _code_hash(verification_id, code)):
        return CodeRefused("That code is not right.")
    Verification.objects.filter(pk=verification_id).update(used_at=now)
    subscriber = _prove(verification, now)
    return subscriber or CodeRefused("This number has changed since the code was sent. Sign up again.")


def _why_not_checked(verification_id: int, now: datetime) -> str:
    verification = Verification.objects.filter(pk=verification_id).first()
    if verification is None or verification.used_at:
        return "This code has been used. Sign up again for a new one."
    if not verification.code_hash or verification.sent_at is None:
        return "No code has been sent yet; wait a moment and try again."
    if (now - verification.sent_at).total_seconds() > settings.SMS_CODE_MAX_AGE_SECONDS:
        return "This code has expired. Ask for a new one below."
    return "Too many wrong tries for this code. Ask for a new one below."


def _count_for_number(subscriber_id: int | None, now: datetime) -> CodeRefused | None:
    """Count one check of a code for the number (a rolling-start window); a refusal once it is spent."""
    limit, seconds = settings.SMS_CODE_TRIES_PER_NUMBER
    new_window = Q(phone_code_tries_since__isnull=True) | Q(
        phone_code_tries_since__lte=now - timedelta(seconds=seconds)
    )
    counted = (
        Subscriber.objects.filter(pk=subscriber_id)
        .filter(new_window | Q(phone_code_tries__lt=limit))
        .update(
            phone_code_tries=Case(When(new_window, then=Value(1)), default=F("phone_code_tries") + 1),
            phone_code_tries_since=Case(
                When(new_window, then=Value(now)), default=F("phone_code_tries_since")
            ),
        )
    )
    if counted:
        return None
    since = (
        Subscriber.objects.filter(pk=subscriber_id).values_list("phone_code_tries_since", flat=True).first()
    )
    left = int(seconds - (now - since).total_seconds()) if since else seconds
    hours = max(1, round(left / 3600))
    return CodeRefused(
        f"Too many codes tried for this number. Try again in about {hours} hour{'s' if hours > 1 else ''}.",
        status=429,
        retry_after=max(1, left),
    )


# --- both


def _prove(verification: Verification, now: datetime) -> Subscriber | None:
    """Mark the address confirmed on its subscriber, unless it changed since the link or code went."""
    channel = verification.channel
    address = {FIELD[channel]: verification.address}
    confirmed_at, opted_out_at = f"{FIELD[channel]}_confirmed_at", f"{FIELD[channel]}_opted_out_at"
    rows = Subscriber.objects.filter(pk=verification.subscriber_id, **address)
    rows.filter(**{f"{confirmed_at}__isnull": True}).update(**{confirmed_at: now})
    # Signing up after stopping (unsubscribe, STOP) asks to hear again; a link sent before the stop doesn't.
    rows.filter(**{f"{opted_out_at}__lt": verification.sent_at}).update(**{opted_out_at: None})
    return rows.first()


def _subscriber_for(verification: Verification) -> Subscriber:
    """Find or create the proof's page's subscriber holding the address, and note it on the proof.

    A sign-up with two new addresses makes one subscriber with both (the two proofs' tasks may
    race; the loser finds the winner's row).
    """
    if verification.subscriber_id:
        return verification.subscriber
    field = FIELD[verification.channel]
    own = {"page_id": verification.page_id, field: verification.address}
    subscriber = Subscriber.objects.filter(**own).first()
    if subscriber is None:
        fields = dict(own)
        other = verification.pair or Verification.objects.filter(pair=verification).first()
        theirs = {"page_id": verification.page_id, FIELD[other.channel]: other.address} if other else {}
        if other and not Subscriber.objects.filter(**theirs).exists():
            fields[FIELD[other.channel]] = other.address
        subscriber = _create(fields, own)
    Verification.objects.filter(pk=verification.pk).update(subscriber=subscriber)
    verification.subscriber = subscriber
    return subscriber


def _create(fields: dict, own: dict) -> Subscriber:
    for attempt in (fields, own):
        try:
            with transaction.atomic():
                return Subscriber.objects.create(**attempt)
        except IntegrityError:
            # A concurrent sign-up for one of the addresses won the race.
            found = Subscriber.objects.filter(**own).first()
            if found:
                return found
    return Subscriber.objects.get(**own)


def _prune() -> None:
    """Delete a batch of proofs too old to be used, so the table stays the size of its window."""
    cutoff = timezone.now() - timedelta(seconds=settings.CONFIRM_LINK_MAX_AGE_SECONDS, days=1)
    old = list(Verification.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[:500])
    if old:
        Verification.objects.filter(pk__in=old).delete()
