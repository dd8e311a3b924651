"""The SMS channel: fit a text to GSM-7 and two segments, then hand it to the backend SMS_BACKEND names."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from django.conf import settings
from django.utils.module_loading import import_string

from notifications.delivery import gsm
from notifications.delivery.channels.base import ChannelSender
from notifications.delivery.rendering import event_link
from notifications.models import Channel


def sms_text(body: str, link: str = "") -> str:
    """A GSM-7 text of at most two segments; the link is never cut off."""
    return gsm.fit(body.strip(), max_segments=2, keep_tail=f" {link}" if link else "")


def send_sms(to: str, body: str, link: str = "") -> str:
    return get_backend().send(to, sms_text(body, link))


def find_sms(to: str, body: str, link: str, since: datetime) -> str | None:
    """The provider's id of this same text to `to` since `since`, if it took one."""
    return get_backend().find(to, sms_text(body, link), since)


# Our clock and the provider's may differ by this much when matching a message to an attempt.
CLOCK_SLACK = timedelta(seconds=10)


class BaseBackend:
    def send(self, to: str, body: str) -> str:
        """Send one message and return the provider's id for it."""
        raise NotImplementedError

    def find(self, to: str, body: str, since: datetime) -> str | None:
        """The provider's id of this exact message to `to` taken since `since`, if it has one.

        None means it has no such message, or this provider cannot be asked.
        """
        return None


def get_backend() -> BaseBackend:
    """One backend per process and configuration, so its HTTP connections are reused."""
    return _backend(settings.SMS_BACKEND, settings.TWILIO_ACCOUNT_SID, settings.TWILIO_API_BASE_URL)


@functools.lru_cache(maxsize=4)
def _backend(path: str, account: str, base_url: str) -> BaseBackend:
    return import_string(path)()


class SmsSender(ChannelSender):
    """Twilio can be asked whether it took a text, so an unsure attempt is settled before a resend."""

    channel = Channel.SMS

    def send(self, delivery, message, connection=None) -> str:
        return send_sms(
            delivery.subscriber.phone, message, link=event_link(delivery.event, delivery.subscriber.page)
        )

    def already_taken(self, delivery, message) -> str | None:
        link = event_link(delivery.event, delivery.subscriber.page)
        return find_sms(delivery.subscriber.phone, message, link, delivery.maybe_sent_at)
