from __future__ import annotations

from django.urls import path

from incidents import feeds
from incidents.snapshots import served_from_snapshot as snapshot
from incidents.views import heartbeats, integrations, probes, public, statuspage_api

# The public page and the v2 JSON are served from snapshots rebuilt on change (incidents/snapshots.py).
urlpatterns = [
    path("", snapshot(public.status_page), name="status-page"),
    path("components/<int:pk>/", public.component_detail, name="component-detail"),
    path("incidents/<int:pk>/", public.incident_detail, name="incident-detail"),
    path("api/v2/summary.json", snapshot(statuspage_api.summary_json), name="v2-summary"),
    path("api/v2/status.json", snapshot(statuspage_api.status_json), name="v2-status"),
    path("api/v2/components.json", snapshot(statuspage_api.components_json), name="v2-components"),
    path("api/v2/incidents.json", snapshot(statuspage_api.incidents_json), name="v2-incidents"),
    path(
        "api/v2/incidents/unresolved.json",
        snapshot(statuspage_api.unresolved_incidents_json),
        name="v2-incidents-unresolved",
    ),
    path(
        "api/v2/scheduled-maintenances.json",
        snapshot(statuspage_api.scheduled_maintenances_json),
        name="v2-maintenances",
    ),
    path(
        "api/v2/scheduled-maintenances/upcoming.json",
        snapshot(statuspage_api.upcoming_maintenances_json),
        name="v2-maintenances-upcoming",
    ),
    path(
        "api/v2/scheduled-maintenances/active.json",
        snapshot(statuspage_api.active_maintenances_json),
        name="v2-maintenances-active",
    ),
    path("history/", public.history, name="history"),
    path("history.atom", feeds.HistoryAtomFeed(), name="history-atom"),
    path("history.rss", feeds.HistoryRssFeed(), name="history-rss"),
    path("api/v1/probes/<int:probe_id>/results", probes.probe_results, name="probe-results"),
    path("api/v1/integrations/alertmanager", integrations.alertmanager, name="alertmanager"),
    path("api/v1/integrations/uptime-kuma", integrations.uptime_kuma, name="uptime-kuma"),
    path("ping/<uuid:ping_uuid>", heartbeats.ping, name="ping"),
    path("ping/<uuid:ping_uuid>/<str:signal>", heartbeats.ping, name="ping-signal"),
]
