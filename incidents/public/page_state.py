"""Read models for the public pages and the Statuspage v2-compatible JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import F, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    UNRESOLVED_STATUSES,
    Component,
    ComponentGroup,
    ComponentStatus,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentUpdate,
    PageComponent,
    StatusPage,
    worst_status,
)
from incidents.public.page_scope import on_page, page_components, published_on, trim_to_page

# Statuspage returns at most this many incidents or maintenances per list.
LIST_LIMIT = 50
# The status page announces scheduled maintenance this far ahead.
UPCOMING_WINDOW = timedelta(days=7)
# page.updated_at of an empty page: fixed, so a polling page does not see it change.
NEVER_UPDATED = datetime(1970, 1, 1, tzinfo=UTC)

MAINTENANCE_DESCRIPTION = "Service Under Maintenance"
# Statuspage's page indicator and wording for the worst component status.
_INDICATOR_BY_STATUS = {
    ComponentStatus.MAJOR_OUTAGE: (Impact.CRITICAL, "Major System Outage"),
    ComponentStatus.PARTIAL_OUTAGE: (Impact.MAJOR, "Partial System Outage"),
    ComponentStatus.DEGRADED: (Impact.MINOR, "Partially Degraded Service"),
    ComponentStatus.MAINTENANCE: (Impact.NONE, MAINTENANCE_DESCRIPTION),
}
_INDICATOR_BY_IMPACT = {
    Impact.CRITICAL: "Major System Outage",
    Impact.MAJOR: "Partial System Outage",
    Impact.MINOR: "Minor Service Outage",
}
_IMPACT_RANK = {Impact.NONE: 0, Impact.MINOR: 1, Impact.MAJOR: 2, Impact.CRITICAL: 3}

_OPEN_INCIDENT = Q(kind=IncidentKind.INCIDENT, status__in=UNRESOLVED_STATUSES)
_OPEN_MAINTENANCE = Q(
    kind=IncidentKind.MAINTENANCE, status__in=(IncidentStatus.SCHEDULED, *ACTIVE_MAINTENANCE_STATUSES)
)


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
    active_maintenance: list[Incident]
    upcoming_maintenance: list[Incident]
    indicator: str
    description: str
    updated_at: datetime

    @property
    def under_maintenance(self) -> bool:
        return self.description == MAINTENANCE_DESCRIPTION

    @property
    def scheduled_maintenances(self) -> list[Incident]:
        """What Statuspage's summary lists: maintenance in progress or verifying, then scheduled."""
        return self.active_maintenance + self.upcoming_maintenance

    @property
    def upcoming_this_week(self) -> list[Incident]:
        horizon = timezone.now() + UPCOMING_WINDOW
        return [m for m in self.upcoming_maintenance if m.scheduled_for and m.scheduled_for <= horizon]


def with_timelines(queryset: QuerySet[Incident], page: StatusPage) -> list[Incident]:
    """Load updates (newest first) and the page's components: three queries however many incidents."""
    incidents = queryset.prefetch_related(
        Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-id")),
        Prefetch("components", queryset=on_page(page).order_by("position", "name")),
    )
    return trim_to_page(list(incidents), page)


def unresolved_incidents(page: StatusPage) -> list[Incident]:
    return with_timelines(published_on(page).filter(_OPEN_INCIDENT).order_by("-created_at", "-id"), page)


def recent_incidents(page: StatusPage, limit: int = LIST_LIMIT) -> list[Incident]:
    """The most recent published incidents of any status (not maintenance)."""
    queryset = published_on(page).filter(kind=IncidentKind.INCIDENT).order_by("-created_at", "-id")
    return with_timelines(queryset[:limit], page)


def maintenances(
    page: StatusPage, statuses=None, *, soonest_first: bool = False, limit: int = LIST_LIMIT
) -> list[Incident]:
    """Published maintenance, latest window first (or soonest first), optionally in some statuses."""
    queryset = published_on(page).filter(kind=IncidentKind.MAINTENANCE)
    if statuses is not None:
        queryset = queryset.filter(status__in=statuses)
    if soonest_first:
        queryset = queryset.order_by(F("scheduled_for").asc(nulls_last=True), "created_at", "id")
    else:
        queryset = queryset.order_by(F("scheduled_for").desc(nulls_last=True), "-created_at", "-id")
    return with_timelines(queryset[:limit], page)


def latest_change(page: StatusPage) -> datetime | None:
    """When anything public about an incident or maintenance on the page last changed."""
    return published_on(page).aggregate(latest=Max("updated_at"))["latest"]


def page_updated_at(page: StatusPage) -> datetime:
    """page.updated_at without loading the page: the same value page_state() computes."""
    components = PageComponent.objects.filter(page=page).aggregate(
        component=Max("component__updated_at"), group=Max("group__updated_at")
    )
    stamps = [components["component"], components["group"], latest_change(page)]
    return max((s for s in stamps if s), default=NEVER_UPDATED)


def page_state(page: StatusPage, *, timelines: bool = True) -> PageState:
    """Everything the status page shows, in a fixed number of queries.

    Without timelines the open incidents come without their updates and components,
    which is all status.json needs.
    """
    components = page_components(page)
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
    open_items = published_on(page).filter(_OPEN_INCIDENT | _OPEN_MAINTENANCE).order_by("-created_at", "-id")
    open_items = with_timelines(open_items, page) if timelines else list(open_items)
    unresolved, active, upcoming = [], [], []
    for item in open_items:
        if item.kind == IncidentKind.INCIDENT:
            unresolved.append(item)
        elif item.status == IncidentStatus.SCHEDULED:
            upcoming.append(item)
        else:
            active.append(item)
    active.sort(key=_window_start)
    upcoming.sort(key=_window_start)
    indicator, description = _indicator(components, unresolved, active)
    stamps = [c.updated_at for c in components] + [g.group.updated_at for g in groups if g.group]
    stamps.append(latest_change(page))
    return PageState(
        groups=groups,
        components=components,
        unresolved=unresolved,
        active_maintenance=active,
        upcoming_maintenance=upcoming,
        indicator=indicator,
        description=description,
        updated_at=max((s for s in stamps if s), default=NEVER_UPDATED),
    )


def _window_start(maintenance: Incident) -> datetime:
    return maintenance.scheduled_for or maintenance.created_at


def _indicator(
    components: list[Component], unresolved: list[Incident], active_maintenance: list[Incident]
) -> tuple[str, str]:
    worst = worst_status(c.status for c in components)
    by_status = _INDICATOR_BY_STATUS.get(worst)
    worst_impact = max((i.impact for i in unresolved), key=_IMPACT_RANK.get, default=Impact.NONE)
    if by_status and _IMPACT_RANK[by_status[0]] >= _IMPACT_RANK[worst_impact]:
        return by_status
    if worst_impact != Impact.NONE:
        return worst_impact, _INDICATOR_BY_IMPACT[worst_impact]
    if active_maintenance:
        # Statuspage says "maintenance" here; our indicator enum stops at none..critical.
        return Impact.NONE, MAINTENANCE_DESCRIPTION
    return Impact.NONE, "All Systems Operational"
