"""Web Push (RFC 8030) with VAPID (RFC 8292): pywebpush encrypts (RFC 8291, aes128gcm), safe_http posts.

The endpoint comes from a browser, that is from anyone, so the request goes out through
notifications.delivery.safe_http like a webhook: the host is resolved once, refused if it is not on
the public internet, and the connection goes to the checked address. pywebpush's own `webpush()`
would post with requests, which resolves again and follows no such rule; only its `WebPusher.encode`
is used here.
"""

from __future__ import annotations

import binascii
import logging
import time
from urllib.parse import urlsplit

from django.conf import settings
from py_vapid import Vapid, VapidException
from pywebpush import WebPusher, WebPushException

from notifications.delivery import safe_http
from notifications.delivery.channels.base import DeliveryError
from notifications.delivery.channels.push import BaseBackend, SubscriptionGone

logger = logging.getLogger(__name__)

# A VAPID token may live 24 hours; a shorter life bounds what a leaked one is good for.
TOKEN_SECONDS = 12 * 3600


class WebPushBackend(BaseBackend):
    def __init__(self) -> None:
        self.vapid = Vapid.from_string(settings.VAPID_PRIVATE_KEY)

    def send(self, endpoint: str, keys: dict, payload: bytes, *, ttl: int, urgency: str, topic: str) -> str:
        try:
            encrypted = WebPusher({"endpoint": endpoint, "keys": dict(keys)}).encode(payload, "aes128gcm")
        except (WebPushException, ValueError, TypeError, binascii.Error) as exc:
            # Checked at sign-up, so only a row changed by hand gets here; it can never work.
            raise SubscriptionGone(f"the subscription's keys are unusable: {exc}") from None
        headers = {
            **self.authorization(endpoint),
            "TTL": str(ttl),
            "Urgency": urgency,
            "Topic": topic,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        try:
            response = safe_http.post_json(
                endpoint, encrypted["body"], headers, timeout=settings.PROVIDER_TIMEOUT_SECONDS
            )
        except safe_http.UnsafeDestination as exc:
            raise SubscriptionGone(f"push service refused: {exc.message}") from None
        except safe_http.OutboundError as exc:
            raise _delivery_error(exc) from None
        return f"{urlsplit(endpoint).hostname} {response.status}"

    def authorization(self, endpoint: str) -> dict[str, str]:
        """The VAPID header for the endpoint's push service (the JWT's audience is its origin)."""
        parts = urlsplit(endpoint)
        claims = {
            "aud": f"{parts.scheme}://{parts.netloc}",
            "sub": settings.VAPID_SUBJECT,
            "exp": int(time.time()) + TOKEN_SECONDS,
        }
        try:
            return self.vapid.sign(claims)
        except VapidException as exc:
            raise DeliveryError(f"VAPID claims refused: {exc}", permanent=True) from None


def _delivery_error(exc: safe_http.OutboundError) -> DeliveryError:
    """404/410: the subscription expired or was dropped; 429, 5xx and no answer: later; the rest: never."""
    if exc.status in (404, 410):
        return SubscriptionGone(f"push service: subscription gone ({exc.status})")
    if exc.status in (401, 403):
        # The subscription was made with another VAPID key, or ours is refused: an operator's matter.
        logger.error("push service refused our VAPID credentials (%s): check VAPID_* settings", exc.status)
    return DeliveryError(
        f"push service {exc.message}",
        permanent=not exc.transient,
        maybe_sent=exc.status is None,  # the request may have gone out before the answer failed
    )
