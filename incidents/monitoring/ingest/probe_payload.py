"""Strict parsing of probe result payloads: wrong types are errors, never coerced; other keys are ignored."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from incidents.monitoring.component_status import Observation
from incidents.monitoring.ingest.webhook_input import parse_timestamp

MAX_BATCH = 1000
MAX_FUTURE_SKEW = timedelta(minutes=5)


class PayloadError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("invalid payload")
        self.errors = errors


def parse_results(payload: Any, now: datetime | None = None) -> list[Observation]:
    """Turn one result object, or a list of them, into observations."""
    now = now or timezone.now()
    if isinstance(payload, dict):
        items, prefix = [payload], None
    elif isinstance(payload, list):
        if not payload:
            raise PayloadError({"": "expected at least one result"})
        if len(payload) > MAX_BATCH:
            raise PayloadError({"": f"at most {MAX_BATCH} results per request"})
        items, prefix = payload, True
    else:
        raise PayloadError({"": "expected a JSON object or a list of objects"})

    observations, errors = [], {}
    for index, item in enumerate(items):
        where = f"{index}." if prefix else ""
        try:
            observations.append(_parse_one(item, now))
        except PayloadError as exc:
            errors.update({f"{where}{key}".rstrip("."): msg for key, msg in exc.errors.items()})
    if errors:
        raise PayloadError(errors)
    return observations


def _parse_one(item: Any, now: datetime) -> Observation:
    if not isinstance(item, dict):
        raise PayloadError({"": "expected a JSON object"})
    errors: dict[str, str] = {}

    ok = item.get("ok")
    if not isinstance(ok, bool):
        errors["ok"] = "required, true or false"

    latency = item.get("latency_ms")
    if latency is not None and (
        isinstance(latency, bool)
        or not isinstance(latency, int | float)
        or not 0 <= latency <= 3_600_000  # also rejects NaN, infinities and huge integers
    ):
        errors["latency_ms"] = "must be a number of milliseconds between 0 and 3600000"

    location = item.get("location", "")
    if not _is_text(location, 64):
        errors["location"] = "must be text (no NUL) of at most 64 characters"

    message = item.get("message", "")
    if not _is_text(message, 1000):
        errors["message"] = "must be text (no NUL) of at most 1000 characters"

    observed_at = now
    raw_time = item.get("observed_at")
    if raw_time is not None:
        observed_at = _parse_time(raw_time, now, errors)

    if errors:
        raise PayloadError(errors)
    return Observation(
        ok=ok,
        observed_at=observed_at,
        latency_ms=float(latency) if latency is not None else None,
        location=location.strip(),
        message=message,
    )


def _is_text(value: Any, max_length: int) -> bool:
    """A string the database can store: bounded, and encodable (no lone surrogates)."""
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse_time(raw: Any, now: datetime, errors: dict[str, str]) -> datetime:
    parsed = parse_timestamp(raw)
    if parsed is None:
        errors["observed_at"] = "must be an ISO 8601 date and time"
        return now
    if parsed > now + MAX_FUTURE_SKEW:
        errors["observed_at"] = "is in the future"
    elif parsed.year < 2000:
        errors["observed_at"] = "is too far in the past"
    return parsed
