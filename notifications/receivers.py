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
