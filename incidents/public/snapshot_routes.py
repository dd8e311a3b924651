"""The public pages served from snapshots: one list for the URLconf and for rebuilding them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from incidents.public import calendar, pages
from incidents.public import v2_endpoints as v2


@dataclass(frozen=True)
class SnapshotRoute:
    route: str  # as path() takes it
    view: Callable[[HttpRequest], HttpResponse]
    name: str


SNAPSHOT_ROUTES = (
    SnapshotRoute("", pages.status_page, "status-page"),
    SnapshotRoute("api/v2/summary.json", v2.summary_json, "v2-summary"),
    SnapshotRoute("api/v2/status.json", v2.status_json, "v2-status"),
    SnapshotRoute("api/v2/components.json", v2.components_json, "v2-components"),
    SnapshotRoute("api/v2/incidents.json", v2.incidents_json, "v2-incidents"),
    SnapshotRoute(
        "api/v2/incidents/unresolved.json", v2.unresolved_incidents_json, "v2-incidents-unresolved"
    ),
    SnapshotRoute("api/v2/scheduled-maintenances.json", v2.scheduled_maintenances_json, "v2-maintenances"),
    SnapshotRoute(
        "api/v2/scheduled-maintenances/upcoming.json",
        v2.upcoming_maintenances_json,
        "v2-maintenances-upcoming",
    ),
    SnapshotRoute(
        "api/v2/scheduled-maintenances/active.json", v2.active_maintenances_json, "v2-maintenances-active"
    ),
    SnapshotRoute("maintenance.ics", calendar.maintenance_calendar, "maintenance-ics"),
)
