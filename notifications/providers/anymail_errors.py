"""What an Anymail ESP's send errors mean for a delivery: the email channel's only view of Anymail."""

from __future__ import annotations

from anymail.exceptions import AnymailError, AnymailRecipientsRefused

from notifications.delivery.channels.base import DeliveryError

# The base of every error an Anymail ESP backend raises while sending.
EspError = AnymailError


def esp_refusal(exc: Exception) -> DeliveryError | None:
    """A permanent error if the ESP refused the recipient; None for any other failure."""
    if isinstance(exc, AnymailRecipientsRefused):
        return DeliveryError(f"recipient refused by the ESP: {exc}", permanent=True)
    return None
