"""Template context for the active-incident banner on every public page."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from incidents.models import UNRESOLVED_STATUSES, Incident, IncidentKind, StatusPage
from incidents.public.page_routing import page_of
from incidents.public.page_scope import published_on

# The banner names a few incidents and links to the status page for the rest.
BANNER_LIMIT = 5


def _unresolved(page: StatusPage) -> list[Incident]:
    return list(
        published_on(page)
        .filter(kind=IncidentKind.INCIDENT, status__in=UNRESOLVED_STATUSES)
        .order_by("-created_at", "-id")
        .only("id", "name", "status", "impact")[: BANNER_LIMIT + 1]
    )


def active_incidents(request: HttpRequest) -> dict:
    """Unresolved published incidents, loaded only if a template reads them."""
    if getattr(request, "page_access_shut", False):  # a private page's visitor who is not let in
        return {"active_incidents": []}
    return {"active_incidents": SimpleLazyObject(lambda: _unresolved(page_of(request)))}
