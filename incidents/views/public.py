"""Public, read-only pages."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from incidents.models import Component, Incident, IncidentUpdate
from incidents.summary import page_state


def status_page(request: HttpRequest) -> HttpResponse:
    return render(request, "incidents/status_page.html", {"state": page_state()})


def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(
        Incident.objects.prefetch_related(
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-id")),
            Prefetch("components", queryset=Component.objects.only("id", "name")),
        ),
        pk=pk,
    )
    return render(request, "incidents/incident_detail.html", {"incident": incident})
