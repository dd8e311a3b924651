"""What every channel shares: the sender interface and the error a send raises.

A channel is one module in this folder with a `ChannelSender` registered in `__init__.py`, and its
message templates: adding a channel touches only those.
"""

from __future__ import annotations

from django.utils import timezone

from notifications.delivery.rendering import event_message
from notifications.models import CHANNEL_FIELDS, Subscriber


class DeliveryError(Exception):
    """A send failed; permanent errors are never retried and stop sends to the address.

    `maybe_sent` says the provider may have taken the message anyway (the request went out and
    no answer came back), so the next attempt asks the provider before sending again.
    """

    def __init__(self, message: str, *, permanent: bool, maybe_sent: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.maybe_sent = maybe_sent

    def __reduce__(self):
        # Celery pickles a task's exception; the keyword-only flags must survive the trip.
        return _delivery_error, (str(self), self.permanent, self.maybe_sent)


def _delivery_error(message: str, permanent: bool, maybe_sent: bool) -> DeliveryError:
    return DeliveryError(message, permanent=permanent, maybe_sent=maybe_sent)


class ChannelSender:
    """How one channel sends a delivery; the claim, the retries and the bookkeeping are sending.py's."""

    channel = ""

    def message(self, delivery):
        """What this delivery says, rendered for the subscriber's page (shared by every subscriber)."""
        return event_message(delivery.event, self.channel, delivery.subscriber.page)

    def send(self, delivery, message, connection=None) -> str:
        """Send it; return the provider's id for it. Raise DeliveryError on failure."""
        raise NotImplementedError

    def already_taken(self, delivery, message) -> str | None:
        """The provider's id if an earlier attempt whose outcome was unknown got through; None if it did
        not or the provider cannot be asked (then the next attempt sends again, idempotently where it can)."""
        return None

    def address_is_dead(self, delivery) -> None:
        """A permanent failure: stop this address on every page it subscribed to."""
        address_field, prefix = CHANNEL_FIELDS[self.channel]
        address = getattr(delivery.subscriber, address_field)
        Subscriber.objects.filter(**{address_field: address}).update(
            **{f"{prefix}_suppressed_at": timezone.now()}
        )

    def failed(self, delivery, error: DeliveryError, *, retrying: bool) -> None:
        """After a failed attempt (a webhook counts failures and pauses); nothing by default."""
