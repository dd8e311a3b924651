from __future__ import annotations

from datetime import datetime

from notifications import gsm
from notifications.sms_backends import get_backend


def sms_text(body: str, link: str = "") -> str:
    """A GSM-7 text of at most two segments; the link is never cut off."""
    return gsm.fit(body.strip(), max_segments=2, keep_tail=f" {link}" if link else "")


def send_sms(to: str, body: str, link: str = "") -> str:
    return get_backend().send(to, sms_text(body, link))


def find_sms(to: str, body: str, link: str, since: datetime) -> str | None:
    """The provider's id of this same text to `to` since `since`, if it took one."""
    return get_backend().find(to, sms_text(body, link), since)
