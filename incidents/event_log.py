"""The event log every change writes to, and the signals the other rooms listen on."""

from __future__ import annotations

from django.dispatch import Signal

from incidents.models import Event

# Sent inside the transaction that wrote the Event (kwarg: event). Receivers that
# start work must defer it with transaction.on_commit.
event_recorded = Signal()

# Sent by the console to gather per-update delivery figures (kwarg: update_ids).
# Each receiver returns {update_id: {"queued": n, "sent": n, "failed": n, "suppressed": n}}.
collect_update_stats = Signal()


def record_event(kind: str, **fields) -> Event:
    """Write an Event in the caller's transaction and tell listeners about it."""
    event = Event.objects.create(kind=kind, **fields)
    event_recorded.send(sender=Event, event=event)
    return event
