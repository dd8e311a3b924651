"""The app's config: connects the event and provider signal receivers once Django is ready."""

from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from incidents.event_log import collect_update_stats, event_recorded
        from notifications.delivery.receivers import start_fanout, update_stats
        from notifications.providers import anymail_tracking

        event_recorded.connect(start_fanout, dispatch_uid="notifications.start_fanout")
        collect_update_stats.connect(update_stats, dispatch_uid="notifications.update_stats")
        anymail_tracking.connect()
