"""The push probe results webhook: authenticated by the probe's own secret, strict about payloads."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.models import Probe
from incidents.monitoring.component_status import record_results
from incidents.monitoring.ingest.probe_payload import PayloadError, parse_results
from incidents.monitoring.ingest.webhook_input import (
    BodyError,
    bearer_token,
    json_error,
    read_json,
    secret_matches,
    unauthorized,
)


@csrf_exempt
@require_POST
def probe_results(request: HttpRequest, probe_id: int) -> JsonResponse:
    """Accept one result or a batch for a push probe."""
    probe = Probe.objects.filter(pk=probe_id).only("id", "secret").first()
    if probe is None:
        return json_error(404, f"no probe with id {probe_id}")
    if not secret_matches(bearer_token(request), probe.secret):
        return unauthorized("probes")
    try:
        observations = parse_results(read_json(request))
    except BodyError as exc:
        return exc.response
    except PayloadError as exc:
        return json_error(400, "invalid result", fields=exc.errors)
    rows = record_results(probe.pk, observations)
    return JsonResponse({"stored": len(rows)}, status=201)
