"""The per-channel token bucket in the real Redis, shared by every worker."""

from __future__ import annotations

import time
import uuid

import pytest

from notifications.delivery import send_rate


@pytest.fixture
def channel(settings) -> str:
    name = f"test-{uuid.uuid4().hex[:8]}"  # its own bucket in the shared Redis
    settings.EMAIL_RATE_PER_SECOND = 5
    return name


def test_no_limit_means_no_wait(settings):
    settings.SMS_RATE_PER_SECOND = 0
    assert all(send_rate.take("sms") == 0 for _ in range(100))


def test_a_bucket_gives_its_burst_then_asks_to_wait(channel):
    waits = [send_rate.take(channel) for _ in range(8)]
    assert waits[:5] == [0, 0, 0, 0, 0]
    assert all(0 < w <= 0.2 for w in waits[5:])


def test_the_rate_holds_over_time(channel):
    started, sent = time.monotonic(), 0
    while time.monotonic() - started < 1.5:
        wait = send_rate.take(channel)
        if wait:
            time.sleep(wait)
        else:
            sent += 1
    elapsed = time.monotonic() - started
    # A burst of 5, then 5 per second: never more (fewer only if this process was starved).
    assert sent <= 5 + 5 * elapsed + 1
    assert sent >= 8
