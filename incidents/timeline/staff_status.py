"""A responder sets a component's status by hand; probes take over again at their next change."""

from __future__ import annotations

from django.db import transaction

from incidents.models import Component
from incidents.monitoring.component_status import set_component_status
from incidents.timeline.audit import audit


@transaction.atomic
def set_status_by_staff(component: Component, status: str, actor) -> bool:
    """Set the status and audit it; return False if it already was that status."""
    component = Component.objects.select_for_update().get(pk=component.pk)
    before = component.status
    changed = set_component_status(component, status)
    if changed:
        audit(actor, "component.status", component, {"status": before}, {"status": status})
    return changed
