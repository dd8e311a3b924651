"""The links that prove an address: a random token per proof, stored only as its SHA-256.

Every channel's proof (email, webhook contact, chat, SMS verify page) is claimed, looked up and
expired the same way here.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from incidents.models import StatusPage
from notifications.models import Verification


def new_token() -> str:
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def claim_link(verification_id: int) -> str | None:
    """A fresh token for a proof about to be sent, or None if another run sent it (a task run twice)."""
    token = new_token()
    claimed = Verification.objects.filter(pk=verification_id, sent_at__isnull=True).update(
        token_hash=hash_token(token), sent_at=timezone.now()
    )
    return token if claimed else None


def open_proof(token: str, channel: str, page: StatusPage, **conditions) -> Verification | None:
    """The proof a token names, if it is for `page` (the page it is opened on), of `channel`, recent
    enough (CONFIRM_LINK_MAX_AGE_SECONDS) and meets `conditions`."""
    if not token or len(token) > 100:
        return None
    since = timezone.now() - timedelta(seconds=settings.CONFIRM_LINK_MAX_AGE_SECONDS)
    return (
        Verification.objects.filter(
            token_hash=hash_token(token), channel=channel, created_at__gte=since, page=page, **conditions
        )
        .select_related("subscriber__page", "page", "pair")
        .first()
    )
