from __future__ import annotations

from django.db import models

from incidents.models import AuditEntry


def snapshot(obj: models.Model, fields: list[str]) -> dict:
    """A JSON-safe picture of some fields, for the audit log's before/after."""
    data = {}
    for name in fields:
        value = getattr(obj, name)
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return data


def audit(actor, action: str, target: models.Model, before: dict | None, after: dict | None) -> None:
    """Record a staff change; automatic changes (no actor) are not staff changes."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return
    AuditEntry.objects.create(
        actor=actor,
        action=action,
        target_type=target._meta.label,
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        before=before,
        after=after,
    )
