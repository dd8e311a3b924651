"""Browser push sign-up: the page's script (statuspage/static/push-subscribe.js) sends the browser's
PushSubscription here.

- `GET /subscribe/push/`: the VAPID public key and a CSRF token, for a page served from the shared
  snapshot (which can carry neither a token nor a cookie).
- `POST` `{"endpoint": "https://...", "keys": {"p256dh": "...", "auth": "..."}}` (the browser's
  `subscription.toJSON()`): a subscriber on this page, confirmed at once (the browser asked the person
  for permission: that is the consent), for every component and the default events. Answers
  `{"manage_url": ...}`, 201 for a new subscription, 200 for one this page had.
- `DELETE` (or `POST` with `"unsubscribe": true`) `{"endpoint": ...}`: this page forgets that browser.

Bad input is a 400 with `{"error": ...}`; the endpoint must be a public https host (the server will
POST to it). Sign-ups count against the same per-network limit as the subscribe form.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from incidents.public.page_routing import page_of
from notifications.delivery import safe_http, subscriber_links
from notifications.delivery.channels.push import forget_endpoint
from notifications.models import Subscriber
from notifications.signup import abuse_limits
from statuspage.client_ip import client_ip
from statuspage.vapid_keys import BadKey, b64url_decode

MAX_BODY_BYTES = 4096
MAX_ENDPOINT_CHARS = 1000  # Subscriber.push_endpoint's length


class Refused(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@never_cache
@require_http_methods(["GET", "POST", "DELETE"])
def push_subscription(request: HttpRequest) -> JsonResponse:
    if request.method == "GET":
        return JsonResponse({"vapid_public_key": settings.VAPID_PUBLIC_KEY, "csrf_token": get_token(request)})
    try:
        data = _json(request)
        if request.method == "DELETE" or data.get("unsubscribe") is True:
            forget_endpoint(_endpoint(data, check_host=False), page_of(request))
            return JsonResponse({"subscribed": False})
        endpoint, keys = _endpoint(data, check_host=True), _keys(data)
    except Refused as refused:
        return JsonResponse({"error": refused.message}, status=refused.status)
    limit = settings.SIGNUP_LIMIT_PER_IP
    if not abuse_limits.allow("signup-ip", client_ip(request), limit):
        response = JsonResponse(
            {"error": "Too many sign-ups from your network. Please try again in a few hours."}, status=429
        )
        response["Retry-After"] = str(abuse_limits.seconds_left(limit))
        return response
    subscriber, created = subscribe(endpoint, keys, page_of(request))
    return JsonResponse(
        {"subscribed": True, "manage_url": subscriber_links.manage_url(subscriber)},
        status=201 if created else 200,
    )


@transaction.atomic
def subscribe(endpoint: str, keys: dict[str, str], page) -> tuple[Subscriber, bool]:
    """This browser on this page, confirmed now; a returning browser keeps its choices."""
    now = timezone.now()
    return Subscriber.objects.update_or_create(
        page=page,
        push_endpoint=endpoint,
        defaults={
            "push_keys": keys,
            "push_confirmed_at": now,
            "push_suppressed_at": None,
            "push_opted_out_at": None,
        },
    )


def _json(request: HttpRequest) -> dict:
    if len(request.body) > MAX_BODY_BYTES:
        raise Refused("That subscription is too large.")
    try:
        data = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        raise Refused("Send the browser's push subscription as JSON.") from None
    if not isinstance(data, dict):
        raise Refused("Send the browser's push subscription as a JSON object.")
    return data


def _endpoint(data: dict, *, check_host: bool) -> str:
    endpoint = data.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise Refused("The subscription has no endpoint.")
    endpoint = endpoint.strip()
    if len(endpoint) > MAX_ENDPOINT_CHARS:
        raise Refused(f"The endpoint is longer than {MAX_ENDPOINT_CHARS} characters.")
    try:
        parts = urlsplit(endpoint)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise Refused("The endpoint is not a valid URL.") from None
    if parts.scheme != "https" or not parts.hostname:
        raise Refused("The endpoint must be an https:// URL of a push service.")
    if any(ord(c) < 33 or ord(c) > 126 for c in endpoint):
        raise Refused("The endpoint is not a valid URL.")
    if check_host:
        try:
            safe_http.check_url(endpoint)
        except safe_http.UnsafeDestination as exc:
            raise Refused(f"The endpoint can't be used: {exc.message}") from None
    return endpoint


def _keys(data: dict) -> dict[str, str]:
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise Refused("The subscription has no keys (p256dh and auth).")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or not isinstance(auth, str):
        raise Refused("The subscription's keys need p256dh and auth, each a base64url string.")
    try:
        point = b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        if len(point) != 65:
            raise ValueError
    except (BadKey, ValueError):
        raise Refused("The p256dh key must be base64url of a 65-byte P-256 public key.") from None
    try:
        secret = b64url_decode(auth)
    except BadKey:
        secret = b""
    if len(secret) != 16:
        raise Refused("The auth key must be base64url of 16 bytes.")
    return {"p256dh": p256dh.strip().rstrip("="), "auth": auth.strip().rstrip("=")}
