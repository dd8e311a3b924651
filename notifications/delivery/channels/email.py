"""The email channel: one message through django.core.mail (SMTP or an Anymail ESP)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from notifications.delivery.channels.base import DeliveryError
from notifications.providers.anymail_errors import EspError, esp_refusal


def send_email(
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    *,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    metadata: dict[str, str] | None = None,
    connection=None,
    from_email: str | None = None,
) -> str:
    """Send one email through django.core.mail; return its Message-ID (or the ESP's id).

    Pass an open `connection` to send a batch over one SMTP session or HTTP pool. `metadata` goes to
    an Anymail ESP, which hands it back in its tracking events; SMTP ignores it.
    """
    headers = dict(headers or {})
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
        connection=connection,
    )
    if html:
        message.attach_alternative(html, "text/html")
    if metadata:
        message.metadata = metadata
    try:
        message.send()
    except (EspError, smtplib.SMTPException, OSError) as exc:
        if connection is not None:
            connection.close()  # reopened on next use, so one broken session spares the rest of the batch
        raise _delivery_error(exc) from exc
    # Anymail reports the ESP's own id, which its tracking webhooks refer to.
    status = getattr(message, "anymail_status", None)
    return (status and status.message_id and str(status.message_id)) or message.extra_headers.get(
        "Message-ID", ""
    )


def _delivery_error(exc: Exception) -> DeliveryError:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return DeliveryError(f"recipient refused: {codes}", permanent=all(c >= 500 for c in codes))
    return esp_refusal(exc) or DeliveryError(f"email not accepted: {exc}", permanent=False)
