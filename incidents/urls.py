from __future__ import annotations

from django.urls import path

from incidents.views import probes, public, statuspage_api

urlpatterns = [
    path("", public.status_page, name="status-page"),
    path("incidents/<int:pk>/", public.incident_detail, name="incident-detail"),
    path("api/v2/summary.json", statuspage_api.summary_json, name="v2-summary"),
    path("api/v2/status.json", statuspage_api.status_json, name="v2-status"),
    path("api/v1/probes/<int:probe_id>/results", probes.probe_results, name="probe-results"),
]
