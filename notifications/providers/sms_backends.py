"""SMS backends with no provider: the console (the default) and an in-memory outbox for tests."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from notifications.delivery.channels.sms import CLOCK_SLACK, BaseBackend

logger = logging.getLogger(__name__)


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
    """Keep messages in notifications.providers.sms_backends.outbox, for tests."""

    def send(self, to: str, body: str) -> str:
        outbox.append(SentSms(to=to, body=body))
        return f"locmem-{len(outbox)}"

    def find(self, to: str, body: str, since: datetime) -> str | None:
        for number, sms in enumerate(outbox, start=1):
            if sms.to == to and sms.body == body and sms.at >= since - CLOCK_SLACK:
                return f"locmem-{number}"
        return None
