from __future__ import annotations

from incidents.models.components import (
    STATUS_SEVERITY,
    Component,
    ComponentGroup,
    ComponentStatus,
)
from incidents.models.events import Event, EventKind
from incidents.models.incidents import (
    UNRESOLVED_STATUSES,
    Impact,
    Incident,
    IncidentStatus,
    IncidentUpdate,
)
from incidents.models.probes import (
    ACTIVE_KINDS,
    ExternalAlert,
    Integration,
    IntegrationKind,
    Probe,
    ProbeKind,
    ProbeLocationState,
    ProbeResult,
)
from incidents.models.uptime import StatusPeriod, UptimeDay

__all__ = [
    "ACTIVE_KINDS",
    "STATUS_SEVERITY",
    "UNRESOLVED_STATUSES",
    "Component",
    "ComponentGroup",
    "ComponentStatus",
    "Event",
    "EventKind",
    "ExternalAlert",
    "Impact",
    "Incident",
    "IncidentStatus",
    "IncidentUpdate",
    "Integration",
    "IntegrationKind",
    "Probe",
    "ProbeKind",
    "ProbeLocationState",
    "ProbeResult",
    "StatusPeriod",
    "UptimeDay",
]
