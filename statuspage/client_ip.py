"""The client's address, as sign-up limits, private pages and the sign-in lockout all see it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or what NUM_PROXIES trusted proxies saw: the rest of X-Forwarded-For is forgeable."""
    if settings.NUM_PROXIES:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if len(forwarded) >= settings.NUM_PROXIES:
            return forwarded[-settings.NUM_PROXIES]
    return request.META.get("REMOTE_ADDR", "")
