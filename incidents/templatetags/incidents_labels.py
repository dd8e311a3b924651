"""Human labels for the enums stored as plain strings (event data, JSON rows)."""

from __future__ import annotations

from django import template

from incidents.models import ComponentStatus

register = template.Library()

_COMPONENT_STATUS_LABELS = dict(ComponentStatus.choices)


@register.filter
def component_status_label(value: str | None) -> str:
    """'degraded_performance' -> 'Degraded performance'; anything unknown is shown as it is."""
    if not value:
        return ""
    return _COMPONENT_STATUS_LABELS.get(value, value)
