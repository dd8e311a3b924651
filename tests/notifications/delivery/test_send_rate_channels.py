"""Each channel sends at its own rate: webhooks, chat apps and push are not held to the email rate."""

from __future__ import annotations

import pytest

from notifications.delivery import send_rate


@pytest.fixture
def rates(settings):
    settings.EMAIL_RATE_PER_SECOND = 2
    settings.SMS_RATE_PER_SECOND = 1
    settings.WEBHOOK_RATE_PER_SECOND = 30
    settings.CHAT_RATE_PER_SECOND = 5
    settings.PUSH_RATE_PER_SECOND = 0


def test_each_channel_has_its_own_rate_setting(rates):
    assert [send_rate.rate_for(c) for c in ("email", "sms", "webhook", "chat", "push")] == [2, 1, 30, 5, 0]


def test_the_defaults_are_no_limit():
    from django.conf import settings

    assert (
        settings.WEBHOOK_RATE_PER_SECOND
        == settings.CHAT_RATE_PER_SECOND
        == settings.PUSH_RATE_PER_SECOND
        == 0
    )


def test_an_email_rate_does_not_slow_push(rates):
    # No limit on push: a burst far past the email rate takes no waits.
    assert all(send_rate.take("push") == 0 for _ in range(50))
