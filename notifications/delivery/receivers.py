"""Receivers of the incident event signals: start a fan-out, count deliveries per update."""

from __future__ import annotations

import logging

from django.db import transaction

logger = logging.getLogger(__name__)


def start_fanout(sender, event, **kwargs) -> None:
    """Enqueue the event's fan-out once its transaction commits."""
    transaction.on_commit(lambda: enqueue_safely("fanout_event", event.pk))


def enqueue_safely(task_name: str, *args) -> None:
    """Enqueue a task; if the broker is down, log it and leave it to the sweeper."""
    from notifications import tasks

    try:
        getattr(tasks, task_name).delay(*args)
    except Exception:  # noqa: BLE001 - any broker failure; the row is the source of truth
        logger.exception("could not enqueue %s%s; the sweeper will retry", task_name, args)


def update_stats(sender, update_ids, **kwargs) -> dict[int, dict[str, int]]:
    """Delivery counts per incident update, for the staff console."""
    from django.db.models import Count

    from notifications.models import Delivery

    stats: dict[int, dict[str, int]] = {}
    rows = (
        Delivery.objects.filter(event__incident_update_id__in=update_ids)
        .values("event__incident_update_id", "status")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts = stats.setdefault(
            row["event__incident_update_id"], {"queued": 0, "sent": 0, "failed": 0, "suppressed": 0}
        )
        key = "queued" if row["status"] in ("queued", "sending") else row["status"]
        counts[key] += row["n"]
    return stats
