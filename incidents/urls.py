from __future__ import annotations

from django.urls import path

from incidents.monitoring.ingest import alert_webhooks, pings, probe_results
from incidents.public import feeds, pages
from incidents.public.snapshot_routes import SNAPSHOT_ROUTES
from incidents.public.snapshots import served_from_snapshot

urlpatterns = [
    # The public page and the v2 JSON, served from snapshots rebuilt on change (public/snapshots.py).
    *(path(r.route, served_from_snapshot(r.view), name=r.name) for r in SNAPSHOT_ROUTES),
    path("components/<int:pk>/", pages.component_detail, name="component-detail"),
    path("incidents/<int:pk>/", pages.incident_detail, name="incident-detail"),
    path("history/", pages.history, name="history"),
    path("history.atom", feeds.HistoryAtomFeed(), name="history-atom"),
    path("history.rss", feeds.HistoryRssFeed(), name="history-rss"),
    path("api/v1/probes/<int:probe_id>/results", probe_results.probe_results, name="probe-results"),
    path("api/v1/integrations/alertmanager", alert_webhooks.alertmanager, name="alertmanager"),
    path("api/v1/integrations/uptime-kuma", alert_webhooks.uptime_kuma, name="uptime-kuma"),
    path("ping/<uuid:ping_uuid>", pings.ping, name="ping"),
    path("ping/<uuid:ping_uuid>/<str:signal>", pings.ping, name="ping-signal"),
]
