"""Logging filters named in settings.LOGGING."""

from __future__ import annotations

import logging
from collections.abc import Iterable


class QuietTasks(logging.Filter):
    """Drop INFO-and-below records that name one of `tasks` (Celery's received/succeeded lines)."""

    def __init__(self, tasks: Iterable[str] = ()) -> None:
        super().__init__()
        self.tasks = tuple(tasks)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or not self.tasks:
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is for the handler to report
            return True
        return not any(task in message for task in self.tasks)
