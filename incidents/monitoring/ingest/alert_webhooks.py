"""Alert webhooks from Prometheus Alertmanager and Uptime Kuma."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.models import Integration, IntegrationKind
from incidents.monitoring.alerts import apply_alerts
from incidents.monitoring.ingest.alert_payloads import (
    AlertPayloadError,
    parse_alertmanager,
    parse_uptime_kuma,
)
from incidents.monitoring.ingest.webhook_input import (
    BodyError,
    bearer_token,
    json_error,
    read_json,
    secret_matches,
    unauthorized,
)


def _receive(request: HttpRequest, kind: str, parse: Callable) -> JsonResponse:
    token = bearer_token(request)
    integration = next(
        (i for i in Integration.objects.filter(kind=kind) if secret_matches(token, i.secret)), None
    )
    if integration is None:
        return unauthorized("integrations")
    try:
        signals = parse(read_json(request), timezone.now())
    except BodyError as exc:
        return exc.response
    except AlertPayloadError as exc:
        return json_error(400, str(exc))
    return JsonResponse(apply_alerts(integration, signals), status=200)


@csrf_exempt
@require_POST
def alertmanager(request: HttpRequest) -> JsonResponse:
    return _receive(request, IntegrationKind.ALERTMANAGER, parse_alertmanager)


@csrf_exempt
@require_POST
def uptime_kuma(request: HttpRequest) -> JsonResponse:
    return _receive(request, IntegrationKind.UPTIME_KUMA, parse_uptime_kuma)
