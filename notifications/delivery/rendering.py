"""Message text for each event, page and channel, from templates."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.template.loader import render_to_string

from incidents.models import Event, EventKind, StatusPage
from incidents.public.page_routing import page_path, page_url
from incidents.public.page_scope import on_page


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def page_context(page: StatusPage | None) -> dict:
    """What every message says about the page it is from: its name and accent colour."""
    if page is None:
        return {"site_name": settings.SITE_NAME, "accent": ""}
    return {"site_name": page.name, "accent": page.accent_colour}


def from_email(page: StatusPage | None) -> str:
    """DEFAULT_FROM_EMAIL's address, shown as sent by the page."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if not address:
        return settings.DEFAULT_FROM_EMAIL
    return formataddr((page.name if page is not None else name, address))


def event_context(event: Event, page: StatusPage) -> dict:
    incident = event.incident
    affected = []
    if incident:
        # Only the page's own components: another page's (a private one's) are not named here.
        shown = set(on_page(page).values_list("pk", flat=True))
        affected = [c.name for c in incident.components.all() if c.pk in shown]
    return {
        **page_context(page),
        "event": event,
        "incident": incident,
        "update": event.incident_update,
        "component": event.component,
        # Names, not model objects: `join` in an autoescape-off text template can't stringify them.
        "affected": affected,
        "link": event_link(event, page),
        **_kind_context(event, page),
    }


def _kind_context(event: Event, page: StatusPage) -> dict:
    """What a reminder says about the window (and in which zone) and a postmortem quotes."""
    incident = event.incident
    if event.kind == EventKind.MAINTENANCE_REMINDER and incident and incident.scheduled_for:
        return {
            "time_zone": "" if page.time_zone == "UTC" else page.time_zone,
            "duration": window_length(incident.scheduled_for, incident.scheduled_until),
        }
    if event.kind == EventKind.INCIDENT_POSTMORTEM and incident:
        return {"postmortem_lines": first_lines(incident.postmortem_body)}
    return {}


def window_length(start: datetime, end: datetime | None) -> str:
    """'2 hours 30 minutes': how long a window lasts, in words ('' if it has no end)."""
    if end is None or end <= start:
        return ""
    days, minutes = divmod(round((end - start).total_seconds() / 60), 24 * 60)
    parts = (("day", days), ("hour", minutes // 60), ("minute", minutes % 60))
    return " ".join(f"{n} {unit}{'' if n == 1 else 's'}" for unit, n in parts if n)


def first_lines(markdown: str, count: int = 3) -> list[str]:
    """The first non-blank lines of a Markdown text, headings' #s dropped, to quote in a message."""
    lines = (line.strip().lstrip("#").strip() for line in markdown.splitlines())
    return [line for line in lines if line][:count]


def event_link(event: Event, page: StatusPage) -> str:
    """The page a message points to: the incident on the subscriber's page, or the page itself."""
    if event.incident_id:
        return page_url(page, page_path("incident-detail", event.incident_id))
    return page_url(page, "/")


def render_email(name: str, context: dict, page: StatusPage | None = None) -> EmailContent:
    base = f"notifications/email/{name}"
    context = {**page_context(page), **context}
    return EmailContent(
        subject=render_to_string(f"{base}.subject.txt", context).strip(),
        text=render_to_string(f"{base}.txt", context),
        html=render_to_string(f"{base}.html", context),
    )


def render_sms(name: str, context: dict, page: StatusPage | None = None) -> str:
    context = {**page_context(page), **context}
    return render_to_string(f"notifications/sms/{name}.txt", context).strip()


# Per-subscriber links go in after rendering: one render per event and page serves every subscriber.
MANAGE_MARK = "__manage_url__"
UNSUBSCRIBE_MARK = "__unsubscribe_url__"


def event_message(event: Event, channel: str, page: StatusPage) -> EmailContent | str:
    """An event's message for one page and channel, rendered once per process (events never change)."""
    return _render_event(
        event.pk,
        event.created_at,
        channel,
        page.pk,
        page.updated_at,
        page_url(page, "/"),
    )


@functools.lru_cache(maxsize=64)
def _render_event(event_id, created_at, channel, page_id, page_updated, base) -> EmailContent | str:
    # Keyed by creation time, the page's last change and its address too, so a reused id, a renamed
    # page or a new host never hits a stale entry.
    event = Event.objects.select_related("incident", "incident_update", "component").get(pk=event_id)
    page = StatusPage.objects.get(pk=page_id)
    context = event_context(event, page)
    name = template_for(event)
    if channel == "email":
        marks = {"manage_url": MANAGE_MARK, "unsubscribe_url": UNSUBSCRIBE_MARK}
        return render_email(name, {**context, **marks}, page)
    return render_sms(name, context, page)


def with_links(content: EmailContent, manage_url: str, unsubscribe_url: str) -> EmailContent:
    def fill(text: str) -> str:
        return text.replace(MANAGE_MARK, manage_url).replace(UNSUBSCRIBE_MARK, unsubscribe_url)

    return EmailContent(content.subject, fill(content.text), fill(content.html))


# Incident events that are not a timeline update: each has a template of its own.
OWN_TEMPLATE = {EventKind.MAINTENANCE_REMINDER, EventKind.INCIDENT_POSTMORTEM}


def template_for(event: Event) -> str:
    """Incident and maintenance updates share the timeline template; other kinds get their own."""
    if event.incident_id and event.kind not in OWN_TEMPLATE:
        return "incident_update"
    return event.kind.replace(".", "_")
