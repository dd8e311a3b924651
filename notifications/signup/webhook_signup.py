"""Webhook subscriptions: sign up with a URL and a contact address, confirm by email, rotate, resume.

A webhook starts only when its contact address confirms, by a link emailed to it: so nobody can point
a page's notifications at someone else's server under an address they do not hold. The proof is a
Verification with channel "webhook" and the URL as its address; the contact's address rides in its
`pair` (a proof with channel "email" that is never sent, so it never confirms the email channel).
The worker emails the link; the person confirms with a button (mail scanners open links, they do
not press buttons), and the confirmation shows the signing secret once.

The contact's address is the subscriber's `email`: one row per contact and page holds its webhook,
and their email subscription if they also chose one (that channel stays unconfirmed unless they did).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import StatusPage
from incidents.public.page_routing import page_path, page_url
from notifications.delivery import safe_http
from notifications.delivery.channels.email import send_email
from notifications.delivery.receivers import enqueue_safely
from notifications.delivery.rendering import from_email, render_email
from notifications.models import Channel, Subscriber, Verification
from notifications.signup import abuse_limits
from notifications.signup.proof_tokens import claim_link, open_proof


class WebhookRefused(Exception):
    """The webhook can't be confirmed: what to tell the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Confirmed:
    subscriber: Subscriber
    secret: str  # "" when this proof was used before: the secret is shown once, at its first use


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def host_of(url: str) -> str:
    return urlsplit(url).hostname or url


@transaction.atomic
def sign_up(url: str, contact: str, page: StatusPage) -> None:
    """Record the webhook to prove and queue its confirmation email after commit (within the
    per-destination limit, counted on the contact address like any confirmation email)."""
    contact_proof = Verification.objects.create(page=page, channel=Channel.EMAIL, address=contact)
    proof = Verification.objects.create(page=page, channel=Channel.WEBHOOK, address=url, pair=contact_proof)
    if abuse_limits.allow("confirm", contact, settings.CONFIRMATIONS_PER_DESTINATION):
        transaction.on_commit(lambda: enqueue_safely("send_webhook_confirmation", proof.pk))


def send_confirmation(verification_id: int) -> None:
    """Email the contact the link that confirms the webhook (once, even if the task runs twice)."""
    proof = (
        Verification.objects.filter(pk=verification_id, channel=Channel.WEBHOOK, sent_at__isnull=True)
        .select_related("page", "pair")
        .first()
    )
    if proof is None or proof.pair is None:
        return
    token = claim_link(proof.pk)
    if token is None:
        return
    page = proof.page
    link = page_url(page, page_path("subscribe-webhook-confirm", token))
    content = render_email("confirm_webhook", {"link": link, "host": host_of(proof.address)}, page)
    send_email(proof.pair.address, content.subject, content.text, content.html, from_email=from_email(page))


def proof_for(token: str, page: StatusPage) -> Verification | None:
    """The webhook proof an emailed link names, if it was sent for this page and has not expired."""
    return open_proof(token, Channel.WEBHOOK, page, sent_at__isnull=False, pair__isnull=False)


def confirm(proof: Verification) -> Confirmed:
    """Start the webhook the proof names, with a new secret; raise WebhookRefused if it can't be.

    The first use of a proof sets the URL, a new secret, and clears a pause or an unsubscribe (signing
    up again is how to get a new secret without the manage link); using it again shows the same
    subscription without the secret.
    """
    try:
        safe_http.check_url(proof.address)  # the rules (or the host's addresses) may have changed
    except safe_http.UnsafeDestination as exc:
        raise WebhookRefused(exc.message) from None
    try:
        with transaction.atomic():
            return _confirm(proof)
    except IntegrityError:  # a concurrent confirmation of the same URL for another contact won
        raise WebhookRefused(_TAKEN) from None


_TAKEN = (
    "This URL already gets this page's notifications under another contact address. "
    "Use that address's manage link, or another URL."
)


def _confirm(proof: Verification) -> Confirmed:
    page, url, contact = proof.page, proof.address, proof.pair.address
    if not Verification.objects.filter(pk=proof.pk, used_at__isnull=True).update(used_at=timezone.now()):
        subscriber = Subscriber.objects.filter(
            page=page, email=contact, webhook_url=url, webhook_confirmed_at__isnull=False
        ).first()
        if subscriber is None:
            raise WebhookRefused("This link has been used, and its webhook has changed since. Sign up again.")
        return Confirmed(subscriber, "")
    subscriber, secret = _attach(page, url, contact)
    Verification.objects.filter(pk=proof.pk).update(subscriber=subscriber)
    return Confirmed(subscriber, secret)


def _attach(page: StatusPage, url: str, contact: str) -> tuple[Subscriber, str]:
    """Give the contact's subscriber on the page this webhook, confirmed, with a new secret.

    Refused if another contact's subscriber holds the URL on the page: confirming is not a way to
    take someone's webhook over.
    """
    subscriber = Subscriber.objects.select_for_update().filter(page=page, email=contact).first()
    holder = Subscriber.objects.filter(page=page, webhook_url=url).values_list("pk", flat=True).first()
    if holder is not None and (subscriber is None or holder != subscriber.pk):
        raise WebhookRefused(_TAKEN)
    if subscriber is None:
        subscriber = Subscriber.objects.create(page=page, email=contact)
    secret = new_secret()
    Subscriber.objects.filter(pk=subscriber.pk).update(
        webhook_url=url,
        webhook_secret=secret,
        webhook_confirmed_at=timezone.now(),
        webhook_suppressed_at=None,
        webhook_opted_out_at=None,
        webhook_failures=0,
    )
    subscriber.refresh_from_db()
    return subscriber, secret


def rotate_secret(subscriber: Subscriber) -> str:
    """Give the webhook a new signing secret (the old one stops working at once); return it."""
    secret = new_secret()
    Subscriber.objects.filter(pk=subscriber.pk).update(webhook_secret=secret)
    subscriber.webhook_secret = secret
    return secret


def resume(subscriber: Subscriber) -> None:
    """Send to the webhook again after a pause (repeated failures) or an unsubscribe."""
    Subscriber.objects.filter(pk=subscriber.pk).update(
        webhook_suppressed_at=None, webhook_opted_out_at=None, webhook_failures=0
    )
    subscriber.webhook_suppressed_at = subscriber.webhook_opted_out_at = None
    subscriber.webhook_failures = 0


def create_confirmed(page: StatusPage, url: str, contact: str) -> tuple[Subscriber, str]:
    """A confirmed webhook made by staff (the API): its subscriber and its secret, shown once.

    The contact's existing row on the page gets the webhook; raise WebhookRefused if another
    contact holds the URL there.
    """
    try:
        with transaction.atomic():
            return _attach(page, url, contact)
    except IntegrityError:
        raise WebhookRefused(_TAKEN) from None
