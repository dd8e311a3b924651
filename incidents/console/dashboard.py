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
from statuspage.staff import console_view


@console_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    components = Component.objects.select_related("group").prefetch_related(
        Prefetch("probes", queryset=Probe.objects.prefetch_related("locations"))
    )
    incidents = Incident.objects.filter(
        kind=IncidentKind.INCIDENT, status__in=UNRESOLVED_STATUSES
    ).prefetch_related("components")
    maintenance = Incident.objects.filter(
        kind=IncidentKind.MAINTENANCE, status__in=[IncidentStatus.SCHEDULED, *ACTIVE_MAINTENANCE_STATUSES]
    ).order_by("scheduled_for")
    context = {
        "components": components,
        "incidents": incidents,
        "maintenance": maintenance,
        "templates": IncidentTemplate.objects.all(),
        "status_choices": ComponentStatus.choices,
        "recent": Incident.objects.filter(status__in=["resolved", "postmortem", "completed"])[:10],
    }
    return render(request, "console/dashboard.html", context)


@console_view("incidents.view_auditentry")
def audit_log(request: HttpRequest) -> HttpResponse:
    page = Paginator(AuditEntry.objects.select_related("actor"), 50).get_page(request.GET.get("page"))
    return render(request, "console/audit_log.html", {"page": page})
