from __future__ import annotations

from django.db import models

from incidents.models.components import Component


class StatusPeriod(models.Model):
    """A span of time a component spent in one status; the open one has no end."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="periods")
    status = models.CharField(max_length=32)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["component", "started_at"], name="period_component_time")]


class UptimeDay(models.Model):
    """Seconds a component spent in each status on one UTC day, kept current on write."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="uptime_days")
    day = models.DateField()
    operational = models.FloatField(default=0)
    degraded_performance = models.FloatField(default=0)
    partial_outage = models.FloatField(default=0)
    major_outage = models.FloatField(default=0)
    under_maintenance = models.FloatField(default=0)
    no_data = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["component", "day"], name="uptime_component_day"),
        ]
        indexes = [models.Index(fields=["day"], name="uptime_day")]
