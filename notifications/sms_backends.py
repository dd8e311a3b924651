"""SMS backends, chosen by settings.SMS_BACKEND; the only module that imports Twilio."""

from __future__ import annotations

import functools
import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from notifications.channels.base import DeliveryError

logger = logging.getLogger(__name__)

# Twilio errors that will never succeed for this number: invalid number,
# opted out (STOP), not a mobile number.
PERMANENT_TWILIO_CODES = {21211, 21610, 21614, 21408, 21612}
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


class ConsoleBackend(BaseBackend):
    """Print messages to the log; the default with no provider configured."""

    _ids = itertools.count(1)

    def send(self, to: str, body: str) -> str:
        message_id = f"console-{next(self._ids)}"
        logger.warning("SMS to %s (%s):\n%s", to, message_id, body)
        return message_id


@dataclass
class SentSms:
    to: str
    body: str
    at: datetime = field(default_factory=timezone.now)


outbox: list[SentSms] = []


class LocmemBackend(BaseBackend):
    """Keep messages in notifications.sms_backends.outbox, for tests."""

    def send(self, to: str, body: str) -> str:
        outbox.append(SentSms(to=to, body=body))
        return f"locmem-{len(outbox)}"

    def find(self, to: str, body: str, since: datetime) -> str | None:
        for number, sms in enumerate(outbox, start=1):
            if sms.to == to and sms.body == body and sms.at >= since - CLOCK_SLACK:
                return f"locmem-{number}"
        return None


class TwilioBackend(BaseBackend):
    def __init__(self) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        # The client waits forever by default; a hung provider must not hold a worker.
        http = TwilioHttpClient(timeout=settings.PROVIDER_TIMEOUT_SECONDS)
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http)
        if settings.TWILIO_API_BASE_URL:
            self.client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")

    def send(self, to: str, body: str) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            extra = {}
            if settings.TWILIO_STATUS_CALLBACKS:
                extra["status_callback"] = settings.SITE_URL + reverse("twilio-status")
            message = self.client.messages.create(
                to=to, from_=settings.TWILIO_FROM_NUMBER, body=body, **extra
            )
        except TwilioRestException as exc:
            permanent = exc.code in PERMANENT_TWILIO_CODES or (
                exc.status in (400, 401, 403, 404) and exc.code not in (None, 20429)
            )
            raise DeliveryError(
                f"Twilio {exc.status} code {exc.code}: {exc.msg}",
                permanent=permanent,
                maybe_sent=exc.status >= 500,  # a gateway's 502/504 may hide an accepted message
            ) from exc
        except (TwilioException, OSError) as exc:
            # No answer: Twilio may have taken the message before the connection failed.
            raise DeliveryError(f"Twilio unreachable: {exc}", permanent=False, maybe_sent=True) from exc
        return message.sid

    def find(self, to: str, body: str, since: datetime) -> str | None:
        from twilio.base.exceptions import TwilioException

        try:
            # Newest first; an alert sent minutes ago is on the first page.
            messages = self.client.messages.list(to=to, from_=settings.TWILIO_FROM_NUMBER, limit=20)
        except (TwilioException, OSError) as exc:
            raise DeliveryError(f"Twilio lookup failed: {exc}", permanent=False, maybe_sent=True) from exc
        for message in messages:
            created = message.date_created
            # endswith: a trial account's messages begin with Twilio's own notice.
            if (message.body or "").strip().endswith(body) and created and created >= since - CLOCK_SLACK:
                return message.sid
        return None


def twilio_signature_valid(url: str, params: dict, signature: str) -> bool:
    """Check X-Twilio-Signature for a webhook Twilio called at `url`."""
    from twilio.request_validator import RequestValidator

    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, params, signature)


def twiml_reply(message: str = "") -> str:
    """A TwiML answer to an inbound text: a reply message, or nothing."""
    from twilio.twiml.messaging_response import MessagingResponse

    response = MessagingResponse()
    if message:
        response.message(message)
    return str(response)


def get_backend() -> BaseBackend:
    """One backend per process and configuration, so its HTTP connections are reused."""
    return _backend(settings.SMS_BACKEND, settings.TWILIO_ACCOUNT_SID, settings.TWILIO_API_BASE_URL)


@functools.lru_cache(maxsize=4)
def _backend(path: str, account: str, base_url: str) -> BaseBackend:
    return import_string(path)()
