"""Atlassian Statuspage v2 JSON shapes: the same keys and enums, so existing clients work.

The TypedDicts below are the wire contract; the functions fill them from our models.
Statuses and impacts are Statuspage's enums (see ComponentStatus, IncidentStatus, Impact).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from incidents.models import Component, Incident, IncidentUpdate, StatusPage
from incidents.public.page_routing import page_path, page_url
from incidents.public.page_state import GroupView, PageState


class PageDict(TypedDict):
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: str | None


class StatusDict(TypedDict):
    indicator: str  # none, minor, major, critical
    description: str


class ComponentDict(TypedDict):
    id: str
    name: str
    status: str  # operational, degraded_performance, partial_outage, major_outage, under_maintenance
    created_at: str | None
    updated_at: str | None
    position: int
    description: str | None
    showcase: bool
    start_date: str | None
    group_id: str | None
    page_id: str
    group: bool
    only_show_if_degraded: bool


class GroupDict(ComponentDict):
    components: list[str]


class AffectedComponentDict(TypedDict):
    code: str
    name: str
    old_status: str | None
    new_status: str | None


class IncidentUpdateDict(TypedDict):
    id: str
    status: str
    body: str
    incident_id: str
    created_at: str | None
    updated_at: str | None
    display_at: str | None
    affected_components: list[AffectedComponentDict] | None
    deliver_notifications: bool
    custom_tweet: str | None
    tweet_id: str | None


class IncidentDict(TypedDict):
    id: str
    name: str
    status: str  # investigating, identified, monitoring, resolved, postmortem
    created_at: str | None
    updated_at: str | None
    monitoring_at: str | None
    resolved_at: str | None
    impact: str  # none, minor, major, critical
    shortlink: str
    started_at: str | None
    page_id: str
    incident_updates: list[IncidentUpdateDict]
    components: list[ComponentDict]


class MaintenanceDict(IncidentDict):
    # status: scheduled, in_progress, verifying, completed; impact: always "maintenance"
    scheduled_for: str | None
    scheduled_until: str | None


# The default page keeps the id it always had; another page's id is its slug.
PAGE_ID = "statuspage"
# Statuspage reports every maintenance with this impact, whatever its components' statuses.
MAINTENANCE_IMPACT = "maintenance"


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def page_id(page: StatusPage) -> str:
    return PAGE_ID if page.is_default else page.slug


def page_json(page: StatusPage, updated_at: datetime) -> PageDict:
    return {
        "id": page_id(page),
        "name": page.name,
        "url": page_url(page).rstrip("/"),
        "time_zone": page.time_zone,
        "updated_at": iso(updated_at),
    }


def status_json(state: PageState) -> StatusDict:
    return {"indicator": state.indicator, "description": state.description}


def component_json(component: Component, page: StatusPage) -> ComponentDict:
    return {
        "id": str(component.pk),
        "name": component.name,
        "status": component.status,
        "created_at": iso(component.created_at),
        "updated_at": iso(component.updated_at),
        "position": component.position,
        "description": component.description or None,
        "showcase": True,
        "start_date": None,
        "group_id": f"group-{component.group_id}" if component.group_id else None,
        "page_id": page_id(page),
        "group": False,
        "only_show_if_degraded": False,
    }


def group_json(view: GroupView, page: StatusPage) -> GroupDict:
    group = view.group
    return {
        "id": f"group-{group.pk}",
        "name": group.name,
        "status": view.status,
        "created_at": iso(group.created_at),
        "updated_at": iso(group.updated_at),
        "position": group.position,
        "description": None,
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": page_id(page),
        "group": True,
        "only_show_if_degraded": False,
        "components": [str(c.pk) for c in view.components],
    }


def components_json(state: PageState, page: StatusPage) -> list[ComponentDict]:
    rows: list[ComponentDict] = []
    for view in state.groups:
        if view.group is not None:
            rows.append(group_json(view, page))
        rows.extend(component_json(c, page) for c in view.components)
    return rows


def affected_components_json(update: IncidentUpdate) -> list[AffectedComponentDict] | None:
    rows: list[AffectedComponentDict] = [
        {"code": row.code, "name": row.name, "old_status": row.old_status, "new_status": row.new_status}
        for row in update.affected
    ]
    return rows or None


def update_json(update: IncidentUpdate, incident: Incident) -> IncidentUpdateDict:
    return {
        "id": str(update.pk),
        "status": update.status,
        "body": update.body,
        "incident_id": str(incident.pk),
        "created_at": iso(update.created_at),
        "updated_at": iso(update.created_at),
        "display_at": iso(update.created_at),
        "affected_components": affected_components_json(update),
        "deliver_notifications": True,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_json(incident: Incident, page: StatusPage) -> IncidentDict:
    """An incident, with its updates newest first and its components (both prefetched)."""
    return {
        "id": str(incident.pk),
        "name": incident.name,
        "status": incident.status,
        "created_at": iso(incident.created_at),
        "updated_at": iso(incident.updated_at),
        "monitoring_at": iso(incident.monitoring_at),
        "resolved_at": iso(incident.resolved_at),
        "impact": incident.impact,
        "shortlink": page_url(page, page_path("incident-detail", incident.pk)),
        "started_at": iso(incident.created_at),
        "page_id": page_id(page),
        "incident_updates": [update_json(u, incident) for u in incident.updates.all()],
        "components": [component_json(c, page) for c in incident.components.all()],
    }


def maintenance_json(maintenance: Incident, page: StatusPage) -> MaintenanceDict:
    return {
        **incident_json(maintenance, page),
        "impact": MAINTENANCE_IMPACT,
        "scheduled_for": iso(maintenance.scheduled_for),
        "scheduled_until": iso(maintenance.scheduled_until),
    }
