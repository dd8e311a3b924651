"""Atlassian Statuspage v2 JSON shapes: the same keys and enums, so existing clients work."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings

from incidents.models import Component, Incident, IncidentUpdate
from incidents.summary import GroupView, PageState

PAGE_ID = "statuspage"
# Statuspage reports every maintenance with this impact, whatever its components' statuses.
MAINTENANCE_IMPACT = "maintenance"


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def page_json(updated_at: datetime) -> dict:
    return {
        "id": PAGE_ID,
        "name": settings.SITE_NAME,
        "url": settings.SITE_URL,
        "time_zone": settings.TIME_ZONE,
        "updated_at": iso(updated_at),
    }


def status_json(state: PageState) -> dict:
    return {"indicator": state.indicator, "description": state.description}


def component_json(component: Component) -> dict:
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
        "page_id": PAGE_ID,
        "group": False,
        "only_show_if_degraded": False,
    }


def group_json(view: GroupView) -> dict:
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
        "page_id": PAGE_ID,
        "group": True,
        "only_show_if_degraded": False,
        "components": [str(c.pk) for c in view.components],
    }


def components_json(state: PageState) -> list[dict]:
    rows = []
    for view in state.groups:
        if view.group is not None:
            rows.append(group_json(view))
        rows.extend(component_json(c) for c in view.components)
    return rows


def affected_components_json(update: IncidentUpdate) -> list[dict] | None:
    rows = [
        {
            "code": str(row.get("code", "")),
            "name": row.get("name", ""),
            "old_status": row.get("old_status"),
            "new_status": row.get("new_status"),
        }
        for row in update.affected_components or []
        if isinstance(row, dict)
    ]
    return rows or None


def update_json(update: IncidentUpdate, incident: Incident) -> dict:
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


def incident_json(incident: Incident) -> dict:
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
        "shortlink": settings.SITE_URL + incident.get_absolute_url(),
        "started_at": iso(incident.created_at),
        "page_id": PAGE_ID,
        "incident_updates": [update_json(u, incident) for u in incident.updates.all()],
        "components": [component_json(c) for c in incident.components.all()],
    }


def maintenance_json(maintenance: Incident) -> dict:
    data = incident_json(maintenance)
    data["impact"] = MAINTENANCE_IMPACT
    data["scheduled_for"] = iso(maintenance.scheduled_for)
    data["scheduled_until"] = iso(maintenance.scheduled_until)
    return data
