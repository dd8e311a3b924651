"""Per-channel send rate shared by every worker: a token bucket kept in Redis."""

from __future__ import annotations

import functools

import redis
from django.conf import settings

# Refill by elapsed time (Redis's own clock), then take a token if one is there.
# Returns 0 when a token was taken, else the seconds until one will be.
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return tostring(wait)
"""


@functools.cache
def _script():
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).register_script(_TAKE)


# Each channel's own setting: an email rate (an ESP's quota) says nothing about webhooks or chat apps.
RATE_SETTINGS = {
    "email": "EMAIL_RATE_PER_SECOND",
    "sms": "SMS_RATE_PER_SECOND",
    "webhook": "WEBHOOK_RATE_PER_SECOND",
    "chat": "CHAT_RATE_PER_SECOND",
    "push": "PUSH_RATE_PER_SECOND",
}


def rate_for(channel: str) -> float:
    """Sends per second for the channel across every worker; 0 for no limit. A channel with no
    setting of its own (tests' throwaway buckets) takes the email rate."""
    return float(getattr(settings, RATE_SETTINGS.get(channel, "EMAIL_RATE_PER_SECOND")))


def take(channel: str) -> float:
    """Take a send slot for the channel; return 0, or how long to wait before asking again."""
    rate = rate_for(channel)
    if rate <= 0:
        return 0.0
    burst = max(1.0, rate)  # at most one second's worth at once
    return float(_script()(keys=[f"throttle:{channel}"], args=[rate, burst]))
