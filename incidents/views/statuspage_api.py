"""Atlassian Statuspage v2-compatible JSON, so existing clients and widgets work."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from incidents import summary


def _json(data: dict) -> JsonResponse:
    response = JsonResponse(data)
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def summary_json(request: HttpRequest) -> JsonResponse:
    state = summary.page_state()
    return _json(
        {
            "page": summary.page_json(state),
            "components": summary.components_json(state),
            "incidents": [summary.incident_json(i) for i in state.unresolved],
            "scheduled_maintenances": [],
            "status": summary.status_json(state),
        }
    )


@require_GET
def status_json(request: HttpRequest) -> JsonResponse:
    state = summary.page_state()
    return _json({"page": summary.page_json(state), "status": summary.status_json(state)})
