from __future__ import annotations

from incidents.models.components import (
    STATUS_SEVERITY,
    Component,
    ComponentGroup,
    ComponentStatus,
)
from incidents.models.events import Event, EventKind
from incidents.models.incidents import (
    ACTIVE_MAINTENANCE_STATUSES,
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    UNRESOLVED_STATUSES,
    AuditEntry,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentTemplate,
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
    "ACTIVE_MAINTENANCE_STATUSES",
    "INCIDENT_STATUSES",
    "MAINTENANCE_STATUSES",
    "AuditEntry",
    "IncidentKind",
    "IncidentTemplate",
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
