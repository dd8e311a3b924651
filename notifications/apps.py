from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self) -> None:
        from incidents.signals import event_recorded
        from notifications.receivers import start_fanout

        event_recorded.connect(start_fanout, dispatch_uid="notifications.start_fanout")
