from __future__ import annotations

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from incidents.models.components import Component


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def parse_statuses(spec: str) -> list[tuple[int, int]]:
    """'200-299,301' -> [(200, 299), (301, 301)]; raises ValueError on nonsense."""
    ranges = []
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        low, _, high = part.partition("-")
        start, end = int(low), int(high or low)
        if not 100 <= start <= end <= 599:
            raise ValueError(f"bad status range {part!r}")
        ranges.append((start, end))
    if not ranges:
        raise ValueError("no status codes given")
    return ranges


class ProbeKind(models.TextChoices):
    PUSH = "push", "Push (results webhook)"
    HEARTBEAT = "heartbeat", "Heartbeat (/ping/<uuid>)"
    HTTP = "http", "HTTP(S)"
    TCP = "tcp", "TCP connect"
    DNS = "dns", "DNS resolve"


ACTIVE_KINDS = (ProbeKind.HTTP, ProbeKind.TCP, ProbeKind.DNS)


class Probe(models.Model):
    """A source of up/down results for one component."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="probes")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=ProbeKind.choices, default=ProbeKind.PUSH)
    is_active = models.BooleanField(default=True)
    ping_uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    secret = models.CharField(max_length=64, default=new_secret)

    # Active probes run every interval; heartbeats are expected every interval.
    interval_seconds = models.PositiveIntegerField(default=60, validators=[MinValueValidator(10)])
    grace_seconds = models.PositiveIntegerField(
        default=60, help_text="Heartbeats: how late a ping may be before it counts as missed."
    )
    # Active: when the probe is next due. Heartbeat: when the next ping is overdue.
    next_run_at = models.DateTimeField(null=True, blank=True, editable=False)

    url = models.URLField(blank=True, max_length=500, help_text="HTTP: the URL to fetch.")
    method = models.CharField(
        max_length=7,
        default="GET",
        choices=[(m, m) for m in ("GET", "HEAD", "POST", "PUT", "OPTIONS")],
    )
    expected_statuses = models.CharField(
        max_length=100, default="200-399", help_text="HTTP: codes and ranges, e.g. 200-299,301."
    )
    keyword = models.CharField(max_length=200, blank=True, help_text="HTTP: text the body must contain.")
    host = models.CharField(max_length=255, blank=True, help_text="TCP: host to connect to. DNS: name.")
    port = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(65535)], help_text="TCP: port."
    )
    timeout_seconds = models.FloatField(default=10, validators=[MinValueValidator(0.1)])
    degraded_latency_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text="Slower than this marks the component degraded."
    )

    failure_threshold = models.PositiveSmallIntegerField(
        default=2,
        validators=[MinValueValidator(1)],
        help_text="Consecutive failures (per location) before a location counts as down.",
    )
    success_threshold = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Consecutive successes (per location) before a location recovers.",
    )
    quorum = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Locations that must agree for a major outage; fewer make a partial outage.",
    )
    last_result_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["component__position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["component", "name"], name="probe_unique_name"),
        ]
        indexes = [
            models.Index(fields=["next_run_at"], name="probe_due", condition=Q(is_active=True)),
        ]

    def __str__(self) -> str:
        return f"{self.component} / {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.kind == ProbeKind.HTTP:
            if not self.url:
                errors["url"] = "HTTP probes need a URL."
            try:
                parse_statuses(self.expected_statuses)
            except ValueError as exc:
                errors["expected_statuses"] = f"Use codes and ranges like 200-299,301 ({exc})."
        if self.kind in (ProbeKind.TCP, ProbeKind.DNS) and not self.host:
            errors["host"] = "TCP and DNS probes need a host name."
        if self.kind == ProbeKind.TCP and not self.port:
            errors["port"] = "TCP probes need a port."
        if errors:
            raise ValidationError(errors)


class ProbeLocationState(models.Model):
    """Confirmation counters for one probe seen from one location."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="locations")
    location = models.CharField(max_length=64)
    consecutive_failures = models.PositiveIntegerField(default=0)
    consecutive_successes = models.PositiveIntegerField(default=0)
    is_down = models.BooleanField(default=False)
    is_slow = models.BooleanField(default=False)
    last_result_at = models.DateTimeField()
    last_latency_ms = models.FloatField(null=True, blank=True)
    last_message = models.CharField(max_length=1000, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["probe", "location"], name="probe_location_unique"),
        ]


class ProbeResult(models.Model):
    """One observation; append-only, read by probe and time, pruned by age."""

    probe = models.ForeignKey(Probe, on_delete=models.CASCADE, related_name="results")
    ok = models.BooleanField()
    latency_ms = models.FloatField(null=True, blank=True)
    location = models.CharField(max_length=64, blank=True)
    observed_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    message = models.CharField(max_length=1000, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["probe", "observed_at"], name="result_probe_time"),
            models.Index(fields=["observed_at"], name="result_time"),
        ]


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    UPTIME_KUMA = "uptime_kuma", "Uptime Kuma"


class Integration(models.Model):
    """A webhook source of alerts, authenticated by its own Bearer secret."""

    kind = models.CharField(max_length=20, choices=IntegrationKind.choices)
    name = models.CharField(max_length=100, unique=True)
    secret = models.CharField(max_length=64, default=new_secret, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"


class ExternalAlert(models.Model):
    """An alert from an integration that holds a component in a status until resolved."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(max_length=200)
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="alerts")
    status = models.CharField(max_length=32)
    summary = models.CharField(max_length=500, blank=True)
    is_firing = models.BooleanField(default=True)
    started_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["integration", "fingerprint"], name="alert_fingerprint_unique"),
        ]
        indexes = [
            models.Index(fields=["component"], name="alert_firing", condition=Q(is_firing=True)),
        ]
