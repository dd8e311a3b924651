"""The page's scheduled maintenance as an iCalendar feed (RFC 5545): /maintenance.ics, and one
component's at /components/<id>/maintenance.ics.

One VEVENT per published maintenance that is open (scheduled, in progress, verifying) or whose
window ended in the last CALENDAR_DAYS days, at most CALENDAR_LIMIT of them (the latest starts).

- UID `maintenance-<id>@<SITE_URL host>`: the same on every page, address and render.
- SEQUENCE: whole seconds from the maintenance's creation to its last change (`updated_at`, which
  every verb that moves its window or its status saves). So it starts at 0 and grows with every
  change, with no counter to keep; two changes within one second share a number.
- DTSTAMP: that last change, so a render of an unchanged maintenance is byte for byte the same.
- STATUS:CANCELLED for a maintenance completed before its window began (the timeline has no cancel
  verb: that is how a window that will not happen is closed); else CONFIRMED. A deleted or
  unpublished maintenance leaves the feed, and a subscribed calendar drops it on its next refresh.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from incidents.models import Component, Incident, IncidentKind, IncidentStatus, IncidentUpdate, StatusPage
from incidents.public.page_routing import page_path, page_url
from incidents.public.page_scope import on_page, published_on

CALENDAR_DAYS = 90
CALENDAR_LIMIT = 200
OPEN_STATUSES = (IncidentStatus.SCHEDULED, IncidentStatus.IN_PROGRESS, IncidentStatus.VERIFYING)
PRODID = "-//statuspage//Scheduled maintenance//EN"
REFRESH = timedelta(hours=1)  # what a subscribed calendar is asked to refresh at (RFC 7986)
UNTIMED_LENGTH = timedelta(hours=1)  # a window stored without an end


@require_GET
def maintenance_calendar(request: HttpRequest) -> HttpResponse:
    page = request.status_page
    return _response(render_calendar(page), "maintenance.ics")


@require_GET
def component_calendar(request: HttpRequest, pk: int) -> HttpResponse:
    page = request.status_page
    component = get_object_or_404(on_page(page), pk=pk)
    return _response(render_calendar(page, component), f"component-{component.pk}-maintenance.ics")


def _response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def calendar_maintenances(
    page: StatusPage, component: Component | None = None, now: datetime | None = None
) -> list[Incident]:
    """The maintenance the calendar shows, soonest first, each with `latest_body` and its components
    on this page."""
    since = (now or timezone.now()) - timedelta(days=CALENDAR_DAYS)
    latest = IncidentUpdate.objects.filter(incident=OuterRef("pk")).order_by("-created_at", "-id")
    maintenances = (
        published_on(page)
        .filter(kind=IncidentKind.MAINTENANCE, scheduled_for__isnull=False)
        .filter(Q(status__in=OPEN_STATUSES) | Q(scheduled_until__gte=since) | Q(resolved_at__gte=since))
        .annotate(latest_body=Subquery(latest.values("body")[:1]))
        .prefetch_related(
            Prefetch("components", queryset=on_page(page).only("id", "name").order_by("position", "name"))
        )
    )
    if component is not None:
        maintenances = maintenances.filter(components=component)
    chosen = list(maintenances.order_by("-scheduled_for", "-id")[:CALENDAR_LIMIT])
    return sorted(chosen, key=lambda m: (m.scheduled_for, m.pk))


def is_cancelled(maintenance: Incident) -> bool:
    """Completed before its window began: closed without taking place."""
    return (
        maintenance.status == IncidentStatus.COMPLETED
        and maintenance.resolved_at is not None
        and maintenance.resolved_at < maintenance.scheduled_for
    )


def sequence_of(maintenance: Incident) -> int:
    return max(0, int((maintenance.updated_at - maintenance.created_at).total_seconds()))


def uid_of(maintenance: Incident) -> str:
    return f"maintenance-{maintenance.pk}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}"


def render_calendar(page: StatusPage, component: Component | None = None) -> bytes:
    name = f"{page.name} - scheduled maintenance"
    if component is not None:
        name = f"{component.name} - {name}"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for maintenance in calendar_maintenances(page, component):
        calendar.add_component(_event(maintenance, page))
    return calendar.to_ical()


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _event(maintenance: Incident, page: StatusPage) -> Event:
    url = page_url(page, page_path("incident-detail", maintenance.pk))
    start = maintenance.scheduled_for
    end = maintenance.scheduled_until or maintenance.resolved_at or start + UNTIMED_LENGTH
    cancelled = is_cancelled(maintenance)
    event = Event()
    event.add("uid", uid_of(maintenance))
    event.add("dtstamp", _utc(maintenance.updated_at))
    event.add("created", _utc(maintenance.created_at))
    event.add("last-modified", _utc(maintenance.updated_at))
    event.add("sequence", sequence_of(maintenance))
    event.add("dtstart", _utc(start))
    event.add("dtend", _utc(max(end, start)))
    event.add("summary", f"Cancelled: {maintenance.name}" if cancelled else maintenance.name)
    event.add("description", _description(maintenance, url, cancelled))
    event.add("url", url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT")  # a window on someone's services does not make them busy
    event.add("categories", ["Maintenance"])
    return event


def _description(maintenance: Incident, url: str, cancelled: bool) -> str:
    status = "Cancelled" if cancelled else maintenance.get_status_display()
    lines = [f"{status}: {maintenance.latest_body or ''}".rstrip()]
    names = [c.name for c in maintenance.components.all()]
    if names:
        lines.append("Affects: " + ", ".join(names))
    lines.append(url)
    return "\n\n".join(lines)
