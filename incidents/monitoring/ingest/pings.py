"""Heartbeat pings, following healthchecks' conventions: /ping/<uuid>[/start|/fail|/<exit status>]."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from incidents.models import Probe, ProbeKind
from incidents.monitoring.scheduling import record_ping

MAX_MESSAGE = 1000
EXIT_STATUS = re.compile(r"[0-9]{1,3}")  # ASCII only: str.isdigit() also accepts "²" and "٣"


def _text(status: int, body: str) -> HttpResponse:
    return HttpResponse(body + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def ping(request: HttpRequest, ping_uuid, signal: str = "") -> HttpResponse:
    if signal in ("", "start", "fail"):
        ok = {"": True, "start": None, "fail": False}[signal]
        message = "" if ok is not False else "failure signalled"
    elif EXIT_STATUS.fullmatch(signal) and int(signal) <= 255:
        ok = int(signal) == 0
        message = f"exit status {int(signal)}"
    else:
        return _text(400, "expected /ping/<uuid>, /start, /fail or an exit status 0-255")
    probe = Probe.objects.filter(ping_uuid=ping_uuid, kind=ProbeKind.HEARTBEAT, is_active=True).first()
    if probe is None:
        return _text(404, "not found")
    if request.method == "POST" and request.body:
        body = request.body[:MAX_MESSAGE].decode("utf-8", errors="replace").replace("\x00", "")
        message = f"{message}: {body}" if message else body
    record_ping(probe, ok=ok, message=message[:MAX_MESSAGE])
    return _text(200, "OK")
