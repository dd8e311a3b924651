from __future__ import annotations

from collections.abc import Iterable

from django.db import models


class ComponentStatus(models.TextChoices):
    OPERATIONAL = "operational", "Operational"
    DEGRADED = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"
    MAINTENANCE = "under_maintenance", "Under maintenance"


# Worst first; used to rank statuses for banners and group roll-ups.
STATUS_SEVERITY = {
    ComponentStatus.MAJOR_OUTAGE: 4,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.DEGRADED: 2,
    ComponentStatus.MAINTENANCE: 1,
    ComponentStatus.OPERATIONAL: 0,
}


def worst_status(statuses: Iterable[str]) -> str:
    """The most severe of some statuses; operational when there are none."""
    return max(statuses, key=STATUS_SEVERITY.__getitem__, default=ComponentStatus.OPERATIONAL)


class ComponentGroup(models.Model):
    name = models.CharField(max_length=100, unique=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Component(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=255, blank=True)
    group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=32, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    in_maintenance = models.BooleanField(
        default=False, editable=False, help_text="Set while a maintenance window is in progress."
    )
    auto_incident = models.BooleanField(
        default=True, help_text="Open an incident when probes confirm a major outage."
    )
    auto_publish = models.BooleanField(
        default=False,
        help_text="Publish auto-created incidents (and notify) at once; otherwise they wait as drafts.",
    )
    # Uptime has been credited to UptimeDay rows up to this moment.
    accounted_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name
