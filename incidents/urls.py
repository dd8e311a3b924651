from __future__ import annotations

from django.urls import include, path

from incidents.monitoring.ingest import alert_webhooks, pings, probe_results

urlpatterns = [
    path("", include("incidents.public.routes")),
    path("api/v1/probes/<int:probe_id>/results", probe_results.probe_results, name="probe-results"),
    path("api/v1/integrations/alertmanager", alert_webhooks.alertmanager, name="alertmanager"),
    path("api/v1/integrations/uptime-kuma", alert_webhooks.uptime_kuma, name="uptime-kuma"),
    path("ping/<uuid:ping_uuid>", pings.ping, name="ping"),
    path("ping/<uuid:ping_uuid>/<str:signal>", pings.ping, name="ping-signal"),
]
