"""Fixed-window counters in the cache for abuse limits; if the cache is down they let requests through."""

from __future__ import annotations

import hashlib
import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


def allow(scope: str, key: str, limit: tuple[int, int]) -> bool:
    """Count one hit for `key`; False once it passes `limit` = (count, seconds) in this window."""
    count, seconds = limit
    window = int(time.time() // seconds)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]  # no addresses in cache keys
    # The limit is part of the key: a changed limit counts afresh, and one set for a test never
    # uses up the default's allowance.
    cache_key = f"ratelimit:{scope}:{count}-{seconds}:{digest}:{window}"
    try:
        hits = 1 if cache.add(cache_key, 1, timeout=seconds) else cache.incr(cache_key)
    except Exception:  # noqa: BLE001 - a cache outage must not take sign-ups down with it
        logger.warning("rate limit %s not checked: cache unavailable", scope)
        return True
    return hits <= count


def seconds_left(limit: tuple[int, int]) -> int:
    """Seconds until the current window of `limit` ends and its counters start again."""
    seconds = limit[1]
    return max(1, int(seconds - time.time() % seconds))
