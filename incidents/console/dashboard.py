"""The console's front page: components and probes, open incidents and drafts, maintenance."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    UNRESOLVED_STATUSES,
    AuditEntry,
    Component,
    ComponentStatus,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentTemplate,
    Probe,
)
from incidents.monitoring.evaluation import live_locations, vouch_horizon
from incidents.page_limits import components_for, incidents_for, page_to_show, pages_for
from statuspage.staff import console_view, redacted, target_shown


@console_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    # ?page=<slug> narrows everything to one page; a slug the user may not pick shows what they may.
    page = page_to_show(request.user, request.GET.get("page"))
    components = list(
        components_for(request.user, page)
        .select_related("group")
        .prefetch_related(Prefetch("probes", queryset=Probe.objects.prefetch_related("locations")))
    )
    _mark_silent_locations(components)
    visible = incidents_for(request.user, Incident.objects.all(), page)
    incidents = visible.filter(kind=IncidentKind.INCIDENT, status__in=UNRESOLVED_STATUSES).prefetch_related(
        "components"
    )
    maintenance = visible.filter(
        kind=IncidentKind.MAINTENANCE, status__in=[IncidentStatus.SCHEDULED, *ACTIVE_MAINTENANCE_STATUSES]
    ).order_by("scheduled_for")
    context = {
        "components": components,
        "incidents": incidents,
        "maintenance": maintenance,
        "templates": IncidentTemplate.objects.all(),
        "status_choices": ComponentStatus.choices,
        "recent": visible.filter(status__in=["resolved", "postmortem", "completed"])[:10],
        "pages": pages_for(request.user),
        "page": page,
    }
    return render(request, "console/dashboard.html", context)


def _mark_silent_locations(components: list[Component]) -> None:
    """Flag locations that stopped reporting: they no longer count towards their probe's quorum."""
    for component in components:
        for probe in component.probes.all():
            locations = list(probe.locations.all())
            live = {id(s) for s in live_locations(locations, vouch_horizon(probe.interval_seconds))}
            for state in locations:
                state.silent = id(state) not in live


@console_view("incidents.view_auditentry")
def audit_log(request: HttpRequest) -> HttpResponse:
    page = Paginator(AuditEntry.objects.select_related("actor"), 50).get_page(request.GET.get("page"))
    # Credentials never show; subscribers' addresses only to Admins.
    for entry in page:
        entry.shown_target = target_shown(entry, request.user)
        entry.shown_before = redacted(entry.before, request.user)
        entry.shown_after = redacted(entry.after, request.user)
    return render(request, "console/audit_log.html", {"page": page})
