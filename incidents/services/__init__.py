"""The only place that changes incident and component state; each change writes its Event."""

from __future__ import annotations

from incidents.services.alerts import AlertSignal, apply_alerts
from incidents.timeline.audit import audit, snapshot
from incidents.events import record_event
from incidents.services.incidents import (
    default_impact,
    open_auto_incident,
    open_incident,
    post_update,
    publish_incident,
    publish_postmortem,
    run_maintenance_schedule,
    schedule_maintenance,
)
from incidents.services.probes import (
    claim_due_probes,
    record_missed_heartbeats,
    record_ping,
    schedule_new_probes,
)
from incidents.services.status import (
    Observation,
    credit_uptime,
    evaluate_component,
    record_results,
    restore_components,
    set_component_status,
    set_status_by_staff,
    tick_uptime,
)

__all__ = [
    "audit",
    "default_impact",
    "publish_postmortem",
    "restore_components",
    "run_maintenance_schedule",
    "schedule_maintenance",
    "snapshot",
    "AlertSignal",
    "Observation",
    "apply_alerts",
    "claim_due_probes",
    "credit_uptime",
    "evaluate_component",
    "open_auto_incident",
    "open_incident",
    "post_update",
    "publish_incident",
    "record_event",
    "record_missed_heartbeats",
    "record_ping",
    "record_results",
    "schedule_new_probes",
    "set_component_status",
    "set_status_by_staff",
    "tick_uptime",
]
