"""Public, read-only pages."""

from __future__ import annotations

from django.core.paginator import InvalidPage
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from incidents.models import IncidentUpdate
from incidents.monitoring.uptime_math import METHOD
from incidents.public import history as history_model
from incidents.public.latency_chart import latency_chart
from incidents.public.page_scope import on_page, page_components, published_on, trim_to_page
from incidents.public.page_state import page_state
from incidents.public.statuspage_v2 import iso
from incidents.public.uptime_bars import MONTHS, attach_uptime, uptime_of


def status_page(request: HttpRequest) -> HttpResponse:
    state = page_state(request.status_page)
    attach_uptime(state.components)
    context = {
        "state": state,
        "uptime_method": METHOD,
        # The same string status.json reports, so the page can tell when it is stale.
        "updated_at_iso": iso(state.updated_at),
    }
    return render(request, "incidents/status_page.html", context)


def component_detail(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(on_page(request.status_page).select_related("group"), pk=pk)
    uptime = uptime_of([component], months=MONTHS)[component.pk]
    context = {
        "component": component,
        "uptime": uptime,
        "months": uptime.months(MONTHS),
        "uptime_method": METHOD,
        "chart": latency_chart(component),
    }
    return render(request, "incidents/component_detail.html", context)


def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(
        published_on(request.status_page).prefetch_related(
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-id")),
            Prefetch("components", queryset=on_page(request.status_page).only("id", "name")),
        ),
        pk=pk,
    )
    trim_to_page([incident], request.status_page)
    return render(request, "incidents/incident_detail.html", {"incident": incident})


def history(request: HttpRequest) -> HttpResponse:
    paginator = history_model.month_paginator(request.status_page)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage as exc:
        raise Http404("No such page of history.") from exc
    context = {
        "page": page,
        "months": history_model.months_of(page, request.status_page),
        "components": attach_uptime(page_components(request.status_page)),
        "uptime_method": METHOD,
    }
    return render(request, "incidents/history.html", context)
