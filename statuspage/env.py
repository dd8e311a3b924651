"""Typed readers for settings from the environment; a bad value fails loudly."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_float(name: str, default: float, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A limit written "count/seconds", e.g. "10/14400" for 10 per 4 hours."""
    raw = os.environ.get(name) or default
    count, _, seconds = raw.partition("/")
    try:
        parsed = int(count), int(seconds)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must look like 10/14400 (count/seconds), got {raw!r}") from None
    if parsed[0] < 0 or parsed[1] < 1:
        raise ImproperlyConfigured(f"{name} needs a count >= 0 and seconds >= 1, got {raw!r}")
    return parsed


def local_secret_key(path: Path) -> str:
    """The checkout's own random key, created once and readable by this user only (mode 0600)."""
    if not path.exists():
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
            handle.write(secrets.token_urlsafe(50))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # made by an older version, world-readable
    return path.read_text().strip()
