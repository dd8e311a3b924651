"""Message text for each event, page and channel, from templates."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.template.loader import render_to_string

from incidents.models import Event, StatusPage
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
    }


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


def template_for(event: Event) -> str:
    """Incident and maintenance events share the timeline template; other kinds get their own."""
    return "incident_update" if event.incident_id else event.kind.replace(".", "_")
