from __future__ import annotations

from incidents.models import Event
from incidents.signals import event_recorded


def record_event(kind: str, **fields) -> Event:
    """Write an Event in the caller's transaction and tell listeners about it."""
    event = Event.objects.create(kind=kind, **fields)
    event_recorded.send(sender=Event, event=event)
    return event
