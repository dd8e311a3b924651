"""A flapping component is one episode: a change inside its quiet window waits, and the window's
end tells subscribers the component's latest state once (if it differs from what they last heard)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from incidents.models import Component, Event, EventKind
from notifications.models import FanOut


def _component_fanouts(component_id: int):
    return FanOut.objects.filter(
        event__component_id=component_id, event__kind=EventKind.COMPONENT_STATUS_CHANGED
    ).order_by("-event_id")


def hold_seconds(event: Event, fanout: FanOut) -> float:
    """Hold this component change if subscribers heard of the component too recently.

    Returns the seconds left in the quiet window (the change is then marked held and finished),
    or 0 to send it now. Decided under the component's row lock, one event at a time.
    """
    quiet = timedelta(seconds=settings.NOTIFY_COMPONENT_QUIET_SECONDS)
    if event.kind != EventKind.COMPONENT_STATUS_CHANGED or not quiet:
        return 0
    with transaction.atomic():
        Component.objects.select_for_update().filter(pk=event.component_id).exists()
        told = (
            _component_fanouts(event.component_id)
            .filter(held=False, event_id__lt=event.pk)
            .values_list("started_at", flat=True)
            .first()
        )
        left = (told + quiet - timezone.now()).total_seconds() if told else 0
        if left <= 0:
            return 0
        FanOut.objects.filter(pk=fanout.pk, cursor=0).update(held=True, finished_at=timezone.now())
        return left


def release(component_id: int) -> int | None:
    """At the end of a quiet window: the held change to send now, if there is news; else None."""
    with transaction.atomic():
        component = Component.objects.select_for_update().filter(pk=component_id).first()
        newest = _component_fanouts(component_id).select_related("event").first()
        if component is None or newest is None or not newest.held:
            return None
        told = _component_fanouts(component_id).filter(held=False).select_related("event").first()
        if told and told.event.data.get("to") == component.status:
            return None  # it flapped back to what subscribers last heard
        FanOut.objects.filter(pk=newest.pk).update(
            held=False, finished_at=None, cursor=0, started_at=timezone.now()
        )
        return newest.event_id


def held_components(since, quiet_before) -> list[int]:
    """Components with a change held in a window that has ended (for the sweeper)."""
    return list(
        FanOut.objects.filter(held=True, started_at__gte=since, started_at__lt=quiet_before)
        .values_list("event__component_id", flat=True)
        .distinct()
    )
