from __future__ import annotations

from django.urls import path

from incidents.views import heartbeats, integrations, probes, public, statuspage_api

urlpatterns = [
    path("", public.status_page, name="status-page"),
    path("components/<int:pk>/", public.component_detail, name="component-detail"),
    path("incidents/<int:pk>/", public.incident_detail, name="incident-detail"),
    path("api/v2/summary.json", statuspage_api.summary_json, name="v2-summary"),
    path("api/v2/status.json", statuspage_api.status_json, name="v2-status"),
    path("api/v1/probes/<int:probe_id>/results", probes.probe_results, name="probe-results"),
    path("api/v1/integrations/alertmanager", integrations.alertmanager, name="alertmanager"),
    path("api/v1/integrations/uptime-kuma", integrations.uptime_kuma, name="uptime-kuma"),
    path("ping/<uuid:ping_uuid>", heartbeats.ping, name="ping"),
    path("ping/<uuid:ping_uuid>/<str:signal>", heartbeats.ping, name="ping-signal"),
]
