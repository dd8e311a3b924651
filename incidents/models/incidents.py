from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.db import models
from django.urls import reverse

from incidents.models.components import Component, ComponentStatus

_STATUS_LABELS = dict(ComponentStatus.choices)


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    POSTMORTEM = "postmortem", "Postmortem"
    # Scheduled maintenance uses the same timeline, as Statuspage does.
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    VERIFYING = "verifying", "Verifying"
    COMPLETED = "completed", "Completed"


INCIDENT_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
    IncidentStatus.RESOLVED,
    IncidentStatus.POSTMORTEM,
)
# An incident is declared in one of these and stays open while in one.
UNRESOLVED_STATUSES = (IncidentStatus.INVESTIGATING, IncidentStatus.IDENTIFIED, IncidentStatus.MONITORING)
# What an update may move an incident to; the postmortem has its own verb.
INCIDENT_UPDATE_STATUSES = (*UNRESOLVED_STATUSES, IncidentStatus.RESOLVED)
MAINTENANCE_STATUSES = (
    IncidentStatus.SCHEDULED,
    IncidentStatus.IN_PROGRESS,
    IncidentStatus.VERIFYING,
    IncidentStatus.COMPLETED,
)
ACTIVE_MAINTENANCE_STATUSES = (IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)


def status_choices(statuses) -> list[tuple[str, str]]:
    """Form choices for some of the statuses."""
    return [(s.value, s.label) for s in statuses]


class Impact(models.TextChoices):
    NONE = "none", "None"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


class IncidentKind(models.TextChoices):
    INCIDENT = "incident", "Incident"
    MAINTENANCE = "maintenance", "Scheduled maintenance"


class Incident(models.Model):
    kind = models.CharField(max_length=12, choices=IncidentKind.choices, default=IncidentKind.INCIDENT)
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING
    )
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.MINOR)
    components = models.ManyToManyField(Component, blank=True, related_name="incidents")
    # Pages that show it whatever it affects: a general incident, or one no page's components cover.
    pages = models.ManyToManyField("incidents.StatusPage", blank=True, related_name="attached_incidents")
    is_published = models.BooleanField(
        default=True, help_text="Drafts are hidden from the public and notify nobody."
    )
    auto_created = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Maintenance only: the window, and whether beat starts and completes it.
    scheduled_for = models.DateTimeField(null=True, blank=True)
    scheduled_until = models.DateTimeField(null=True, blank=True)
    auto_transition = models.BooleanField(default=True)
    # The start the reminder went out for: set by a conditional UPDATE, so one reminder per start.
    reminded_for = models.DateTimeField(null=True, blank=True, editable=False)
    postmortem_body = models.TextField(blank=True, help_text="Markdown.")
    postmortem_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="incident_status_time"),
            models.Index(
                fields=["created_at"], name="incident_published_time", condition=models.Q(is_published=True)
            ),
            models.Index(fields=["kind", "status", "scheduled_for"], name="incident_schedule"),
            models.Index(
                fields=["updated_at"], name="incident_published_change", condition=models.Q(is_published=True)
            ),
        ]
        permissions = [
            ("view_console", "Can open the staff console"),
            ("change_component_status", "Can set component status"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("incident-detail", args=[self.pk])

    @property
    def is_resolved(self) -> bool:
        return self.status not in UNRESOLVED_STATUSES and self.status not in (
            IncidentStatus.SCHEDULED,
            *ACTIVE_MAINTENANCE_STATUSES,
        )

    @property
    def is_maintenance(self) -> bool:
        return self.kind == IncidentKind.MAINTENANCE


@dataclass(frozen=True)
class AffectedComponent:
    """One row of an update's affected_components, in Statuspage's shape."""

    code: str
    name: str
    old_status: str | None
    new_status: str | None

    @property
    def old_label(self) -> str | None:
        return _STATUS_LABELS.get(self.old_status, self.old_status)

    @property
    def new_label(self) -> str | None:
        return _STATUS_LABELS.get(self.new_status, self.new_status)


class IncidentUpdate(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=IncidentStatus.choices)
    body = models.TextField()
    # Statuspage's shape: [{"code", "name", "old_status", "new_status"}].
    affected_components = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["incident", "created_at"], name="update_incident_time"),
            models.Index(fields=["created_at"], name="update_time"),
        ]

    def __str__(self) -> str:
        return f"{self.incident}: {self.get_status_display()}"

    @cached_property
    def affected(self) -> list[AffectedComponent]:
        """The components this update changed; rows stored in another shape are skipped."""
        return [
            AffectedComponent(
                str(row.get("code", "")), row.get("name", ""), row.get("old_status"), row.get("new_status")
            )
            for row in self.affected_components or []
            if isinstance(row, dict)
        ]


class IncidentTemplate(models.Model):
    """Prepared wording to declare an incident in seconds; {components} becomes the names."""

    name = models.CharField(max_length=100, unique=True)
    title = models.CharField(max_length=200, help_text="May contain {components}.")
    body = models.TextField(help_text="May contain {components}.")
    status = models.CharField(
        max_length=20, choices=status_choices(UNRESOLVED_STATUSES), default="investigating"
    )
    impact = models.CharField(max_length=10, choices=Impact.choices, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AuditEntry(models.Model):
    """Who changed what, when, with the state before and after."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=40)
    target_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.target_repr}"
