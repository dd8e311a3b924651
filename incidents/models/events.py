from __future__ import annotations

from django.db import models

from incidents.models.components import Component
from incidents.models.incidents import Incident, IncidentUpdate


class EventKind(models.TextChoices):
    INCIDENT_CREATED = "incident.created", "Incident created"
    INCIDENT_UPDATED = "incident.updated", "Incident updated"
    INCIDENT_RESOLVED = "incident.resolved", "Incident resolved"
    INCIDENT_POSTMORTEM = "incident.postmortem", "Postmortem published"
    MAINTENANCE_SCHEDULED = "maintenance.scheduled", "Maintenance scheduled"
    # MAINTENANCE_REMINDER_MINUTES before the start, once per scheduled start (Statuspage's remind_prior).
    MAINTENANCE_REMINDER = "maintenance.reminder", "Maintenance reminder"
    MAINTENANCE_STARTED = "maintenance.started", "Maintenance started"
    MAINTENANCE_COMPLETED = "maintenance.completed", "Maintenance completed"
    COMPONENT_STATUS_CHANGED = "component.status_changed", "Component status changed"


class Event(models.Model):
    """The outbox: written in the same transaction as the change it records."""

    kind = models.CharField(max_length=40, choices=EventKind.choices)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    incident_update = models.ForeignKey(
        IncidentUpdate, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
