"""Every channel behind the one interface, and the error a send raises surviving Celery's pickling."""

from __future__ import annotations

import pickle

from notifications.delivery.channels import SENDERS
from notifications.delivery.channels.base import ChannelSender, DeliveryError
from notifications.models import CHANNEL_FIELDS, Channel


def test_every_channel_has_a_sender_and_subscriber_fields():
    assert set(SENDERS) == set(Channel.values) == set(CHANNEL_FIELDS)
    assert all(
        isinstance(sender, ChannelSender) and sender.channel == name for name, sender in SENDERS.items()
    )


def test_a_delivery_error_keeps_its_flags_through_pickling():
    # Celery pickles the exception a task gives up with; without them it could not be rebuilt at all.
    pickled = pickle.dumps(DeliveryError("chat app unreachable", permanent=True, maybe_sent=True))
    error = pickle.loads(pickled)  # noqa: S301 - our own bytes, as Celery round-trips them
    assert (str(error), error.permanent, error.maybe_sent) == ("chat app unreachable", True, True)
