"""Alerts from integrations (Alertmanager, Uptime Kuma) holding components in a status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from incidents.models import Component, ExternalAlert, Integration
from incidents.monitoring.component_status import evaluate_component


@dataclass(frozen=True)
class AlertSignal:
    fingerprint: str
    component_name: str
    firing: bool
    status: str
    started_at: datetime
    summary: str = ""


@transaction.atomic
def apply_alerts(integration: Integration, signals: Sequence[AlertSignal]) -> dict[str, list[str]]:
    """Record firing and resolved alerts and re-evaluate the components they name."""
    # Matched in Python: SQLite's LOWER() folds ASCII only.
    components = {c.name.casefold(): c for c in Component.objects.only("pk", "name")}
    applied, unmatched, touched = [], [], set()
    for signal in signals:
        component = components.get(signal.component_name.casefold())
        if component is None:
            unmatched.append(signal.component_name)
            continue
        previous = (
            ExternalAlert.objects.filter(integration=integration, fingerprint=signal.fingerprint)
            .values_list("component_id", flat=True)
            .first()
        )
        if previous and previous != component.pk:
            touched.add(previous)  # the alert moved (e.g. a renamed monitor): free its old component
        ExternalAlert.objects.update_or_create(
            integration=integration,
            fingerprint=signal.fingerprint,
            defaults={
                "component": component,
                "status": signal.status,
                "is_firing": signal.firing,
                "summary": signal.summary[:500],
                "started_at": signal.started_at,
            },
        )
        applied.append(component.name)
        touched.add(component.pk)
    for component_id in sorted(touched):
        evaluate_component(component_id)
    return {"applied": applied, "unmatched": sorted(set(unmatched))}
