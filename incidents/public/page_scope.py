"""What one page shows: its components (grouped and ordered its own way) and the incidents about them."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from incidents.models import Component, Incident, IncidentUpdate, PageComponent, StatusPage


def page_components(page: StatusPage) -> list[Component]:
    """The page's components in its order, each carrying the page's group for it as `.group`.

    The components are read models here: nothing saves them, so the page's group can stand in for
    the component's own.
    """
    placements = (
        PageComponent.objects.filter(page=page)
        .select_related("component", "group")
        .order_by("position", "component__position", "component__name")
    )
    components = []
    for placement in placements:
        component = placement.component
        component.group = placement.group
        components.append(component)
    return components


def on_page(page: StatusPage) -> QuerySet[Component]:
    return Component.objects.filter(placements__page=page)


def shown_on(page: StatusPage):
    """Incidents the page shows: they affect one of its components or are attached to it; on the
    default page also those that name neither a component nor a page (a general incident)."""
    through = Incident.components.through
    affects = Exists(
        through.objects.filter(
            incident_id=OuterRef("pk"),
            component_id__in=PageComponent.objects.filter(page=page).values("component_id"),
        )
    )
    attached = Exists(Incident.pages.through.objects.filter(incident_id=OuterRef("pk"), statuspage=page))
    condition = affects | attached
    if page.is_default:
        condition |= ~Exists(through.objects.filter(incident_id=OuterRef("pk"))) & ~Exists(
            Incident.pages.through.objects.filter(incident_id=OuterRef("pk"))
        )
    return condition


def published_on(page: StatusPage) -> QuerySet[Incident]:
    return Incident.objects.filter(shown_on(page), is_published=True)


def pages_showing(incident: Incident) -> QuerySet[StatusPage]:
    """The pages an incident appears on (the reverse of shown_on)."""
    component_ids = incident.components.values("pk")
    pages = StatusPage.objects.filter(
        Q(placements__component__in=component_ids) | Q(attached_incidents=incident)
    )
    if not incident.components.exists() and not incident.pages.exists():
        pages = StatusPage.objects.filter(is_default=True)
    return pages.distinct()


def trim_to_page(incidents: list[Incident], page: StatusPage) -> list[Incident]:
    """Each incident's updates (prefetched) trimmed by trim_updates."""
    trim_updates([update for incident in incidents for update in incident.updates.all()], page)
    return incidents


def trim_updates(updates: list[IncidentUpdate], page: StatusPage) -> list[IncidentUpdate]:
    """Keep only the page's components in each update's changes: an incident that also touched
    another page's components tells this page nothing about them."""
    shown = {str(pk) for pk in on_page(page).values_list("pk", flat=True)} if updates else set()
    for update in updates:
        update.affected = [row for row in update.affected if row.code in shown]
    return updates
