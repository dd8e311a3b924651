"""Atlassian Statuspage v2-compatible JSON, so existing clients and widgets work."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from incidents.models import ACTIVE_MAINTENANCE_STATUSES, IncidentStatus
from incidents.public import page_state as read_model
from incidents.public import statuspage_v2 as shapes


def _json(data: dict) -> JsonResponse:
    response = JsonResponse(data)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _page(page) -> dict:
    return shapes.page_json(page, read_model.page_updated_at(page))


@require_GET
def summary_json(request: HttpRequest) -> JsonResponse:
    page = request.status_page
    state = read_model.page_state(page)
    return _json(
        {
            "page": shapes.page_json(page, state.updated_at),
            "components": shapes.components_json(state, page),
            "incidents": [shapes.incident_json(i, page) for i in state.unresolved],
            "scheduled_maintenances": [
                shapes.maintenance_json(m, page) for m in state.scheduled_maintenances
            ],
            "status": shapes.status_json(state),
        }
    )


@require_GET
def status_json(request: HttpRequest) -> JsonResponse:
    page = request.status_page
    state = read_model.page_state(page, timelines=False)
    return _json({"page": shapes.page_json(page, state.updated_at), "status": shapes.status_json(state)})


@require_GET
def components_json(request: HttpRequest) -> JsonResponse:
    page = request.status_page
    state = read_model.page_state(page, timelines=False)
    return _json(
        {"page": shapes.page_json(page, state.updated_at), "components": shapes.components_json(state, page)}
    )


@require_GET
def incidents_json(request: HttpRequest) -> JsonResponse:
    page = request.status_page
    incidents = read_model.recent_incidents(page)
    return _json({"page": _page(page), "incidents": [shapes.incident_json(i, page) for i in incidents]})


@require_GET
def unresolved_incidents_json(request: HttpRequest) -> JsonResponse:
    page = request.status_page
    incidents = read_model.unresolved_incidents(page)
    return _json({"page": _page(page), "incidents": [shapes.incident_json(i, page) for i in incidents]})


def _maintenances(page, statuses=None, *, soonest_first: bool = False) -> JsonResponse:
    items = read_model.maintenances(page, statuses, soonest_first=soonest_first)
    return _json(
        {"page": _page(page), "scheduled_maintenances": [shapes.maintenance_json(m, page) for m in items]}
    )


@require_GET
def scheduled_maintenances_json(request: HttpRequest) -> JsonResponse:
    return _maintenances(request.status_page)


@require_GET
def upcoming_maintenances_json(request: HttpRequest) -> JsonResponse:
    return _maintenances(request.status_page, [IncidentStatus.SCHEDULED], soonest_first=True)


@require_GET
def active_maintenances_json(request: HttpRequest) -> JsonResponse:
    return _maintenances(request.status_page, ACTIVE_MAINTENANCE_STATUSES, soonest_first=True)
