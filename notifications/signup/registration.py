"""Sign-up: record the addresses to prove, and queue their link or code after commit.

The same work for every address, known or not, confirmed or not: one Verification row per
address and one task per address (within the per-destination limit). Finding or creating the
subscriber, and everything else that depends on who they are, happens in the worker
(confirmation.py), so neither the answer nor its timing tells whether an address is subscribed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from incidents.models import StatusPage
from notifications.delivery.receivers import enqueue_safely
from notifications.models import Channel, Verification
from notifications.signup import abuse_limits, confirmation


@transaction.atomic
def sign_up(email: str | None, phone: str | None, page: StatusPage) -> str:
    """Start a proof for each address given, for the page's subscription; return the token of the SMS
    code's page ("" without a phone)."""
    # Per destination, so nobody can flood one inbox or phone: counted alike for every address.
    limit = settings.CONFIRMATIONS_PER_DESTINATION
    by_email = None
    if email:
        by_email, _ = confirmation.start(Channel.EMAIL, email, page)
        if abuse_limits.allow("confirm", email, limit):
            _queue("send_email_confirmation", by_email)
    if not phone:
        return ""
    by_phone, token = confirmation.start(Channel.SMS, phone, page, pair=by_email)
    if abuse_limits.allow("confirm", phone, limit):
        _queue("send_phone_code", by_phone)
    return token


def resend_phone_code(verification: Verification) -> bool:
    """Queue a new SMS code after commit; False if the number has had its share of codes for now.

    It shares the sign-up's per-number limit, so asking here and signing up again add up.
    """
    if not abuse_limits.allow("confirm", verification.address, settings.CONFIRMATIONS_PER_DESTINATION):
        return False
    _queue("send_phone_code", verification)
    return True


def _queue(task: str, verification: Verification) -> None:
    transaction.on_commit(lambda: enqueue_safely(task, verification.pk))
