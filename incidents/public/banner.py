"""Template context for the active-incident banner on every public page."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from incidents.models import UNRESOLVED_STATUSES, Incident, IncidentKind

# The banner names a few incidents and links to the status page for the rest.
BANNER_LIMIT = 5


def _unresolved() -> list[Incident]:
    return list(
        Incident.objects.filter(is_published=True, kind=IncidentKind.INCIDENT, status__in=UNRESOLVED_STATUSES)
        .order_by("-created_at", "-id")
        .only("id", "name", "status", "impact")[: BANNER_LIMIT + 1]
    )


def active_incidents(request: HttpRequest) -> dict:
    """Unresolved published incidents, loaded only if a template reads them."""
    return {"active_incidents": SimpleLazyObject(_unresolved)}
