"""Proof that a chat channel wants a page's updates: a confirmation link posted into the channel.

Whoever can read the channel can confirm it, so nobody can point alerts at someone else's channel.
As for email (confirmation.py), the sign-up only records the address in a Verification; the worker
finds or creates the subscriber, makes the link's random token (stored as its SHA-256), and posts
it. The link opens a page whose button confirms: chat apps unfurl and scanners open links, so a
GET never confirms.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.models import StatusPage
from incidents.public.page_routing import page_path, page_url
from notifications.delivery.channels.base import DeliveryError
from notifications.delivery.channels.chat import ChatUrlRefused, chat_destination, render_chat, send_chat
from notifications.models import Channel, Subscriber, Verification
from notifications.signup.proof_tokens import claim_link, open_proof

logger = logging.getLogger(__name__)


def start(url: str, page: StatusPage) -> Verification:
    """Record a (vetted, canonical) chat address to prove for a page."""
    return Verification.objects.create(page=page, channel=Channel.CHAT, address=url)


def send_chat_link(verification_id: int) -> None:
    """Post the proof's link into the channel, once; a transient failure raises for the task to retry."""
    verification = (
        Verification.objects.filter(pk=verification_id, channel=Channel.CHAT, sent_at__isnull=True)
        .select_related("page")
        .first()
    )
    if verification is None:
        return
    _subscriber_for(verification)
    token = claim_link(verification.pk)
    if token is None:
        return
    page = verification.page
    try:
        label = chat_destination(verification.address).label
    except ChatUrlRefused:
        label = "chat"
    link = page_url(page, page_path("subscribe-chat-confirm", token))
    message = render_chat("confirm_chat", {"link": link, "app": label}, page)
    try:
        send_chat(verification.address, message)
    except DeliveryError as exc:
        # Not posted: a retry makes a fresh link (this one was never seen).
        Verification.objects.filter(pk=verification.pk).update(token_hash=None, sent_at=None)
        if exc.permanent:
            logger.warning("chat confirmation %s not posted: %s", verification.pk, exc)
            return
        raise


def open_link(token: str, page: StatusPage) -> Verification | None:
    """The proof a posted link names, if it is for `page`, was posted, and is recent enough."""
    return open_proof(token, Channel.CHAT, page, sent_at__isnull=False, subscriber__isnull=False)


def confirm(verification: Verification) -> Subscriber | None:
    """Confirm the channel the link was posted to, unless the subscription's address changed since."""
    now = timezone.now()
    rows = Subscriber.objects.filter(pk=verification.subscriber_id, chat_url=verification.address)
    rows.filter(chat_confirmed_at__isnull=True).update(chat_confirmed_at=now)
    # The link got through after these: signing up again asks to hear again, and the channel works.
    sent: datetime = verification.sent_at
    rows.filter(chat_opted_out_at__lt=sent).update(chat_opted_out_at=None)
    rows.filter(chat_suppressed_at__lt=sent).update(chat_suppressed_at=None)
    return rows.first()


def _subscriber_for(verification: Verification) -> Subscriber:
    if verification.subscriber_id:
        return verification.subscriber
    own = {"page_id": verification.page_id, "chat_url": verification.address}
    subscriber = Subscriber.objects.filter(**own).first()
    if subscriber is None:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(**own)
        except IntegrityError:  # a concurrent sign-up for the same channel won the race
            subscriber = Subscriber.objects.get(**own)
    Verification.objects.filter(pk=verification.pk).update(subscriber=subscriber)
    verification.subscriber = subscriber
    return subscriber
