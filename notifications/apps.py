from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from incidents.events import collect_update_stats, event_recorded
        from notifications.receivers import start_fanout, update_stats

        event_recorded.connect(start_fanout, dispatch_uid="notifications.start_fanout")
        collect_update_stats.connect(update_stats, dispatch_uid="notifications.update_stats")

        from anymail.signals import tracking

        from notifications.webhooks import anymail_tracking

        tracking.connect(anymail_tracking, dispatch_uid="notifications.anymail_tracking")
