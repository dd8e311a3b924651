"""Turn one event into deliveries, walking the subscribers of the pages it concerns in keyset chunks.

Each subscriber belongs to one page and is walked once, so a person is told once per page they
subscribed to (the same address on two pages is two subscribers: one message each, in each page's words).
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from collections.abc import Callable
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidents.models import Event, StatusPage
from incidents.public.page_scope import pages_showing
from notifications.delivery import flapping
from notifications.models import (
    CHANNEL_FIELDS,
    Delivery,
    DeliveryStatus,
    FanOut,
    Subscriber,
    channel_state_fields,
)

# Confirmed on some channel (each channel's own state is checked per subscriber below).
CONFIRMED = functools.reduce(
    operator.or_, (Q(**{f"{prefix}_confirmed_at__isnull": False}) for _, prefix in CHANNEL_FIELDS.values())
)


def fan_out(
    event_id: int,
    enqueue: Callable[[list[int]], None],
    hold: Callable[[int, float], None] | None = None,
) -> int:
    """Create this event's deliveries chunk by chunk; resume from the saved cursor.

    `enqueue` receives each chunk's queued delivery ids after that chunk commits. With `hold`, a
    component change inside its quiet window is held instead, and `hold(component_id, seconds)`
    is called to release it later. Returns the number of deliveries this call asked for.
    """
    event = Event.objects.filter(pk=event_id).first()
    if event is None:
        return 0
    fanout, _ = FanOut.objects.get_or_create(event=event)
    if hold is not None and not fanout.finished_at:
        wait = flapping.hold_seconds(event, fanout)
        if wait:
            hold(event.component_id, wait)
            return 0
    affected = event_component_ids(event)
    pages = event_page_ids(event)
    created = 0
    while True:
        with transaction.atomic():
            # One fan-out per event at a time, even if its task is delivered twice.
            fanout = FanOut.objects.select_for_update().get(pk=fanout.pk)
            if fanout.finished_at:
                return created
            chunk = list(
                Subscriber.objects.filter(CONFIRMED, page_id__in=pages, pk__gt=fanout.cursor)
                .order_by("pk")
                .only("pk", "event_kinds", "all_components", *channel_state_fields())[
                    : settings.FANOUT_CHUNK_SIZE
                ]
            )
            if not chunk:
                fanout.finished_at = timezone.now()
                fanout.save(update_fields=["finished_at"])
                return created
            chosen = _chosen_components(chunk)
            rows = [
                Delivery(event=event, subscriber=subscriber, channel=channel)
                for subscriber in chunk
                if subscriber.wants(event.kind, affected, chosen.get(subscriber.pk, set()))
                for channel in subscriber.confirmed_channels()
            ]
            Delivery.objects.bulk_create(rows, ignore_conflicts=True)
            created += len(rows)
            queued = list(
                Delivery.objects.filter(
                    event=event,
                    subscriber_id__in=[s.pk for s in chunk],
                    status=DeliveryStatus.QUEUED,
                ).values_list("pk", flat=True)
            )
            fanout.cursor = chunk[-1].pk
            fanout.save(update_fields=["cursor"])
            if queued:
                transaction.on_commit(partial(enqueue, queued))


def event_component_ids(event: Event) -> set[int]:
    """The components an event is about; empty means it concerns everyone."""
    if event.incident_id:
        return set(event.incident.components.values_list("pk", flat=True))
    return {event.component_id} if event.component_id else set()


def event_page_ids(event: Event) -> list[int]:
    """The pages whose subscribers hear of an event: those showing its incident, or holding its component."""
    if event.incident_id:
        pages = pages_showing(event.incident)
    elif event.component_id:
        pages = StatusPage.objects.filter(placements__component_id=event.component_id)
    else:
        pages = StatusPage.objects.filter(is_default=True)
    return sorted(set(pages.values_list("pk", flat=True)))


def _chosen_components(chunk: list[Subscriber]) -> dict[int, set[int]]:
    picky = [s.pk for s in chunk if not s.all_components]
    chosen: dict[int, set[int]] = defaultdict(set)
    through = Subscriber.components.through.objects.filter(subscriber_id__in=picky)
    for subscriber_id, component_id in through.values_list("subscriber_id", "component_id"):
        chosen[subscriber_id].add(component_id)
    return chosen
