"""Which pages a staff member may touch: the console and the staff API ask here, and only here.

A staff member named in some pages' `staff` works on those pages only: their incidents (what
`shown_on` shows there) and their components. Superusers and staff named on no page see everything.
"""

from __future__ import annotations

import functools
import operator

from django.db.models import QuerySet

from incidents.models import Component, Incident, StatusPage
from incidents.public.page_scope import shown_on


def limited_to(user) -> list[StatusPage] | None:
    """The pages the user is limited to, or None for every page (kept on the user for the request)."""
    if not getattr(user, "is_authenticated", False) or user.is_superuser:
        return None
    if not hasattr(user, "_limited_pages"):
        user._limited_pages = list(StatusPage.objects.filter(staff=user)) or None
    return user._limited_pages


def pages_for(user) -> QuerySet[StatusPage]:
    """The pages the user may pick (in the console's picker, the API's `pages`)."""
    pages = limited_to(user)
    everything = StatusPage.objects.all()
    return everything if pages is None else everything.filter(pk__in=[p.pk for p in pages])


def incidents_for(user, incidents: QuerySet[Incident], page: StatusPage | None = None) -> QuerySet[Incident]:
    """The incidents (and maintenance) of `incidents` the user may see, on `page` if given."""
    pages = limited_to(user)
    if pages is not None:
        incidents = incidents.filter(functools.reduce(operator.or_, (shown_on(p) for p in pages)))
    if page is not None:
        incidents = incidents.filter(shown_on(page))
    return incidents


def components_for(user, page: StatusPage | None = None) -> QuerySet[Component]:
    """The components the user may work on (those of their pages), on `page` if given."""
    components = Component.objects.all()
    pages = limited_to(user)
    if pages is not None:
        components = components.filter(pk__in=Component.objects.filter(placements__page__in=pages))
    if page is not None:
        components = components.filter(pk__in=Component.objects.filter(placements__page=page))
    return components


def page_to_show(user, slug: str | None) -> StatusPage | None:
    """The page named by a picker's slug if the user may pick it; None for none or a page not theirs."""
    if not slug:
        return None
    return pages_for(user).filter(slug=slug).first()


def needs_a_page(user, pages) -> bool:
    """Whether a general incident on `pages` would fall outside the user's own pages.

    A general incident attached to no page shows on the default page only.
    """
    limited = limited_to(user)
    if limited is None:
        return False
    return not pages and not any(p.is_default for p in limited)


def keep_others(user, incident: Incident, pages) -> list[StatusPage]:
    """`pages` plus the pages the incident is attached to that the user may not touch (kept as is)."""
    limited = limited_to(user)
    chosen = list(pages)
    if limited is None:
        return chosen
    mine = {p.pk for p in limited}
    return chosen + [p for p in incident.pages.all() if p.pk not in mine]
