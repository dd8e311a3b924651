"""Probe webhooks: authenticated by the probe's own secret, strict about payloads."""

from __future__ import annotations

import hmac
import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents import services
from incidents.models import Probe
from incidents.probe_payload import PayloadError, parse_results

MAX_BODY_BYTES = 512 * 1024


def _error(status: int, message: str, **extra) -> JsonResponse:
    return JsonResponse({"error": message, **extra}, status=status)


def _bearer_token(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@csrf_exempt
@require_POST
def probe_results(request: HttpRequest, probe_id: int) -> JsonResponse:
    """Accept one result or a batch for a push probe."""
    probe = Probe.objects.filter(pk=probe_id).only("id", "secret").first()
    token = _bearer_token(request)
    if probe is None:
        return _error(404, f"no probe with id {probe_id}")
    if not token or not hmac.compare_digest(token.encode(), probe.secret.encode()):
        response = _error(401, "missing or wrong secret: send 'Authorization: Bearer <secret>'")
        response["WWW-Authenticate"] = 'Bearer realm="probes"'
        return response
    if len(request.body) > MAX_BODY_BYTES:
        return _error(413, f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "body is not valid JSON")
    try:
        observations = parse_results(payload)
    except PayloadError as exc:
        return _error(400, "invalid result", fields=exc.errors)
    rows = services.record_results(probe.pk, observations)
    return JsonResponse({"stored": len(rows)}, status=201)
