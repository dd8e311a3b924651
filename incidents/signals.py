from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that wrote the Event (kwarg: event). Receivers that
# start work must defer it with transaction.on_commit.
event_recorded = Signal()
