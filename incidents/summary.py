"""Read models for the public page and the Statuspage v2-compatible JSON."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from incidents.models import (
    STATUS_SEVERITY,
    UNRESOLVED_STATUSES,
    Component,
    ComponentGroup,
    ComponentStatus,
    Impact,
    Incident,
    IncidentUpdate,
)

PAGE_ID = "statuspage"

# Statuspage's page indicator and wording for the worst component status.
_INDICATOR_BY_STATUS = {
    ComponentStatus.MAJOR_OUTAGE: (Impact.CRITICAL, "Major System Outage"),
    ComponentStatus.PARTIAL_OUTAGE: (Impact.MAJOR, "Partial System Outage"),
    ComponentStatus.DEGRADED: (Impact.MINOR, "Partially Degraded Service"),
    ComponentStatus.MAINTENANCE: (Impact.NONE, "Service Under Maintenance"),
}
_INDICATOR_BY_IMPACT = {
    Impact.CRITICAL: "Major System Outage",
    Impact.MAJOR: "Partial System Outage",
    Impact.MINOR: "Minor Service Outage",
}
_IMPACT_RANK = {Impact.NONE: 0, Impact.MINOR: 1, Impact.MAJOR: 2, Impact.CRITICAL: 3}


@dataclass
class GroupView:
    group: ComponentGroup | None
    components: list[Component] = field(default_factory=list)

    @property
    def status(self) -> str:
        return worst_status(c.status for c in self.components)


@dataclass
class PageState:
    groups: list[GroupView]
    components: list[Component]
    unresolved: list[Incident]
    indicator: str
    description: str
    updated_at: object


def worst_status(statuses) -> str:
    return max(statuses, key=lambda s: STATUS_SEVERITY[s], default=ComponentStatus.OPERATIONAL)


def unresolved_incidents() -> list[Incident]:
    return list(
        Incident.objects.filter(status__in=UNRESOLVED_STATUSES, is_published=True)
        .order_by("-created_at")
        .prefetch_related(
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-id")),
            "components",
        )
    )


def page_state() -> PageState:
    """Everything the status page shows, in a fixed number of queries."""
    components = list(Component.objects.select_related("group"))
    by_group: dict[int | None, GroupView] = {}
    for component in components:
        key = component.group_id
        if key not in by_group:
            by_group[key] = GroupView(group=component.group)
        by_group[key].components.append(component)
    groups = sorted(
        by_group.values(),
        key=lambda g: (g.group is None, g.group.position if g.group else 0, str(g.group)),
    )
    unresolved = unresolved_incidents()
    indicator, description = _indicator(components, unresolved)
    stamps = [c.updated_at for c in components] + [i.updated_at for i in unresolved]
    return PageState(
        groups=groups,
        components=components,
        unresolved=unresolved,
        indicator=indicator,
        description=description,
        updated_at=max(stamps, default=timezone.now()),
    )


def _indicator(components: list[Component], unresolved: list[Incident]) -> tuple[str, str]:
    worst = worst_status(c.status for c in components)
    by_status = _INDICATOR_BY_STATUS.get(worst)
    worst_impact = max((i.impact for i in unresolved), key=_IMPACT_RANK.get, default=Impact.NONE)
    if by_status and _IMPACT_RANK[by_status[0]] >= _IMPACT_RANK[worst_impact]:
        return by_status
    if worst_impact != Impact.NONE:
        return worst_impact, _INDICATOR_BY_IMPACT[worst_impact]
    return Impact.NONE, "All Systems Operational"


# --- Statuspage v2 JSON shapes


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def page_json(state: PageState) -> dict:
    return {
        "id": PAGE_ID,
        "name": settings.SITE_NAME,
        "url": settings.SITE_URL,
        "time_zone": settings.TIME_ZONE,
        "updated_at": _iso(state.updated_at),
    }


def component_json(component: Component) -> dict:
    return {
        "id": str(component.pk),
        "name": component.name,
        "status": component.status,
        "created_at": _iso(component.created_at),
        "updated_at": _iso(component.updated_at),
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
        "created_at": _iso(group.created_at),
        "updated_at": _iso(group.updated_at),
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


def incident_json(incident: Incident) -> dict:
    components = [component_json(c) for c in incident.components.all()]
    return {
        "id": str(incident.pk),
        "name": incident.name,
        "status": incident.status,
        "created_at": _iso(incident.created_at),
        "updated_at": _iso(incident.updated_at),
        "monitoring_at": _iso(incident.monitoring_at),
        "resolved_at": _iso(incident.resolved_at),
        "impact": incident.impact,
        "shortlink": settings.SITE_URL + incident.get_absolute_url(),
        "started_at": _iso(incident.created_at),
        "page_id": PAGE_ID,
        "incident_updates": [
            {
                "id": str(update.pk),
                "status": update.status,
                "body": update.body,
                "incident_id": str(incident.pk),
                "created_at": _iso(update.created_at),
                "updated_at": _iso(update.created_at),
                "display_at": _iso(update.created_at),
                "affected_components": None,
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for update in incident.updates.all()
        ],
        "components": components,
    }


def status_json(state: PageState) -> dict:
    return {"indicator": state.indicator, "description": state.description}
