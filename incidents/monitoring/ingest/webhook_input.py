"""What every webhook needs: a Bearer secret, a JSON body, timestamps, and clear JSON errors."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime

MAX_BODY_BYTES = 512 * 1024


def json_error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def secret_matches(token: str, secret: str) -> bool:
    """Constant-time comparison, so response timing reveals nothing about the secret."""
    return bool(token) and hmac.compare_digest(token.encode(), secret.encode())


def unauthorized(realm: str) -> JsonResponse:
    response = json_error(401, "missing or wrong secret: send 'Authorization: Bearer <secret>'")
    response["WWW-Authenticate"] = f'Bearer realm="{realm}"'
    return response


class BodyError(Exception):
    def __init__(self, response: JsonResponse):
        self.response = response


def read_json(request: HttpRequest) -> Any:
    """Parse the request body as JSON or raise BodyError with the 4xx to send."""
    if len(request.body) > MAX_BODY_BYTES:
        raise BodyError(json_error(413, f"body larger than {MAX_BODY_BYTES} bytes"))
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BodyError(json_error(400, "body is not valid JSON")) from None
    if not _storable(payload):
        raise BodyError(json_error(400, "text in the body contains NUL or invalid Unicode (lone surrogates)"))
    return payload


def _storable(payload: Any) -> bool:
    """Every string (keys included) is one the database can store: no NUL, no lone surrogates."""
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                return False
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


def parse_timestamp(raw: Any) -> datetime | None:
    """An ISO 8601 date and time in UTC (naive means UTC), or None if it is not one."""
    if not isinstance(raw, str) or len(raw) > 40:
        return None
    try:
        parsed = parse_datetime(raw)
        # Converted here so an out-of-range offset fails now rather than in the database.
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC) if parsed else None
    except (ValueError, OverflowError):
        return None
