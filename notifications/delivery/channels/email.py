"""The email channel: one message through django.core.mail (SMTP or an Anymail ESP)."""

from __future__ import annotations

import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from notifications.delivery import subscriber_links
from notifications.delivery.channels.base import ChannelSender, DeliveryError
from notifications.delivery.rendering import from_email, with_links
from notifications.models import Channel
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


def message_id_for(delivery) -> str:
    """The same Message-ID on every attempt, so a resend is recognisable as one."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<delivery-{delivery.pk}.event-{delivery.event_id}@{domain}>"


class EmailSender(ChannelSender):
    """SMTP cannot be asked whether it took a message, so an unsure attempt is sent again with the same
    Message-ID, which mail systems keep once; with an ESP its tracking webhook settles it first."""

    channel = Channel.EMAIL

    def send(self, delivery, message, connection=None) -> str:
        subscriber = delivery.subscriber
        unsubscribe = subscriber_links.unsubscribe_url(subscriber, Channel.EMAIL)
        content = with_links(message, subscriber_links.manage_url(subscriber), unsubscribe)
        return send_email(
            subscriber.email,
            content.subject,
            content.text,
            content.html,
            message_id=message_id_for(delivery),
            metadata={"delivery_id": str(delivery.pk)},
            connection=connection,
            from_email=from_email(subscriber.page),
            # RFC 8058 one-click unsubscribe: mail clients POST to the URL, no login needed.
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
