"""Subscriber and delivery pages of the staff console, mounted under /console/."""

from __future__ import annotations

from django.urls import path

from notifications.console import events, imports, subscribers

urlpatterns = [
    path("events/", events.events, name="console-events"),
    path("events/<int:pk>/", events.event_detail, name="console-event"),
    path("subscribers/", subscribers.subscriber_list, name="console-subscribers"),
    path("subscribers/export.csv", subscribers.export, name="console-subscribers-export"),
    path("subscribers/import/", imports.upload, name="console-subscribers-import"),
    path("subscribers/import/<int:pk>/", imports.job_detail, name="console-subscribers-import-job"),
    path(
        "subscribers/import/<int:pk>/progress.json",
        imports.job_progress,
        name="console-subscribers-import-progress",
    ),
]
