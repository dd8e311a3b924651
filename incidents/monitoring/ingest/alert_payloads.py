"""Parse Alertmanager (v4) and Uptime Kuma webhook bodies into alert signals."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incidents.models import ComponentStatus
from incidents.monitoring.alerts import AlertSignal
from incidents.monitoring.ingest.webhook_input import parse_timestamp

# Alertmanager's `severity` label picks the status; anything else counts as critical.
SEVERITY_STATUS = {
    "critical": ComponentStatus.MAJOR_OUTAGE,
    "page": ComponentStatus.MAJOR_OUTAGE,
    "error": ComponentStatus.PARTIAL_OUTAGE,
    "major": ComponentStatus.PARTIAL_OUTAGE,
    "warning": ComponentStatus.DEGRADED,
    "minor": ComponentStatus.DEGRADED,
    "info": ComponentStatus.DEGRADED,
}
MAX_ALERTS = 1000


class AlertPayloadError(ValueError):
    pass


def _time(raw: Any, now: datetime) -> datetime:
    """The alert's time if it is a plausible one, else now: a bad time never rejects an alert."""
    parsed = parse_timestamp(raw)
    # Bounded so the database can store it.
    return parsed if parsed and 2000 <= parsed.year <= 2999 else now


def _text(value: Any, limit: int) -> str:
    return value[:limit] if isinstance(value, str) else ""


def parse_alertmanager(payload: Any, now: datetime) -> list[AlertSignal]:
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise AlertPayloadError("expected an Alertmanager webhook object with an 'alerts' list")
    if len(payload["alerts"]) > MAX_ALERTS:
        raise AlertPayloadError(f"at most {MAX_ALERTS} alerts per request")
    signals = []
    for index, alert in enumerate(payload["alerts"]):
        if not isinstance(alert, dict) or not isinstance(alert.get("labels", {}), dict):
            raise AlertPayloadError(f"alerts[{index}] must be an object with a 'labels' object")
        labels = alert.get("labels", {})
        component = labels.get("component")
        if not isinstance(component, str) or not component.strip():
            continue  # alerts without a component label are not for the status page
        status = alert.get("status", payload.get("status"))
        if status not in ("firing", "resolved"):
            raise AlertPayloadError(f"alerts[{index}].status must be 'firing' or 'resolved'")
        fingerprint = _text(alert.get("fingerprint"), 200) or _fingerprint(labels)
        severity = str(labels.get("severity", "")).lower()
        annotations = alert.get("annotations") if isinstance(alert.get("annotations"), dict) else {}
        signals.append(
            AlertSignal(
                fingerprint=fingerprint,
                component_name=component.strip()[:100],
                firing=status == "firing",
                status=SEVERITY_STATUS.get(severity, ComponentStatus.MAJOR_OUTAGE),
                started_at=_time(alert.get("startsAt"), now),
                summary=_text(annotations.get("summary") or annotations.get("description"), 500),
            )
        )
    return signals


def _fingerprint(labels: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))[:200]


# Uptime Kuma heartbeat status: 0 down, 1 up, 2 pending, 3 maintenance.
KUMA_DOWN, KUMA_UP = 0, 1


def parse_uptime_kuma(payload: Any, now: datetime) -> list[AlertSignal]:
    if not isinstance(payload, dict):
        raise AlertPayloadError("expected an Uptime Kuma webhook object")
    monitor, heartbeat = payload.get("monitor"), payload.get("heartbeat")
    if monitor is None and heartbeat is None:
        return []  # Uptime Kuma's "test notification" carries only a message
    if not isinstance(monitor, dict) or not isinstance(heartbeat, dict):
        raise AlertPayloadError("'monitor' and 'heartbeat' must be objects")
    name, state = monitor.get("name"), heartbeat.get("status")
    if not isinstance(name, str) or not name.strip():
        raise AlertPayloadError("monitor.name must be a non-empty string")
    if isinstance(state, bool) or state not in (0, 1, 2, 3):
        raise AlertPayloadError("heartbeat.status must be 0 (down), 1 (up), 2 or 3")
    if state not in (KUMA_DOWN, KUMA_UP):
        return []  # pending and maintenance say nothing about the component yet
    monitor_id = monitor.get("id")
    return [
        AlertSignal(
            fingerprint=f"kuma-monitor-{monitor_id if isinstance(monitor_id, int) else name.strip()}"[:200],
            component_name=name.strip()[:100],
            firing=state == KUMA_DOWN,
            status=ComponentStatus.MAJOR_OUTAGE,
            started_at=_time(heartbeat.get("time"), now),
            summary=_text(heartbeat.get("msg") or payload.get("msg"), 500),
        )
    ]
