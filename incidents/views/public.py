"""Public, read-only pages."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from incidents.latency_chart import latency_chart
from incidents.models import Component, Incident, IncidentUpdate
from incidents.summary import page_state
from incidents.uptime_view import monthly_uptime, uptime_by_component


def status_page(request: HttpRequest) -> HttpResponse:
    state = page_state()
    uptime = uptime_by_component(c.pk for c in state.components)
    for component in state.components:
        component.uptime = uptime[component.pk]
    return render(request, "incidents/status_page.html", {"state": state})


def component_detail(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(Component.objects.select_related("group"), pk=pk)
    context = {
        "component": component,
        "uptime": uptime_by_component([component.pk])[component.pk],
        "months": monthly_uptime(component.pk, since=component.created_at.date()),
        "chart": latency_chart(component),
    }
    return render(request, "incidents/component_detail.html", context)


def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(
        Incident.objects.filter(is_published=True).prefetch_related(
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-id")),
            Prefetch("components", queryset=Component.objects.only("id", "name")),
        ),
        pk=pk,
    )
    return render(request, "incidents/incident_detail.html", {"incident": incident})
