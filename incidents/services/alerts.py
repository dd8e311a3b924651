"""Alerts from integrations (Alertmanager, Uptime Kuma) holding components in a status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models.functions import Lower

from incidents.models import Component, ExternalAlert, Integration
from incidents.services.status import evaluate_component


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
    names = {s.component_name.lower() for s in signals}
    components = {c.lname: c for c in Component.objects.annotate(lname=Lower("name")).filter(lname__in=names)}
    applied, unmatched, touched = [], [], set()
    for signal in signals:
        component = components.get(signal.component_name.lower())
        if component is None:
            unmatched.append(signal.component_name)
            continue
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
