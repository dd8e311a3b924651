from __future__ import annotations

from notifications import gsm
from notifications.sms_backends import get_backend


def send_sms(to: str, body: str, link: str = "") -> str:
    """Send a GSM-7 text of at most two segments; the link is never cut off."""
    text = gsm.fit(body.strip(), max_segments=2, keep_tail=f" {link}" if link else "")
    return get_backend().send(to, text)
