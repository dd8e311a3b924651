"""Message text for each event and channel, from templates."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from incidents.models import Event


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def event_context(event: Event) -> dict:
    incident = event.incident
    return {
        "event": event,
        "incident": incident,
        "update": event.incident_update,
        "component": event.component,
        # Names, not model objects: `join` in an autoescape-off text template can't stringify them.
        "affected": [c.name for c in incident.components.all()] if incident else [],
        "site_name": settings.SITE_NAME,
        "link": _link(event.incident_id),
    }


def _link(incident_id: int | None) -> str:
    return (
        settings.SITE_URL + reverse("incident-detail", args=[incident_id])
        if incident_id
        else settings.SITE_URL
    )


def event_link(event: Event) -> str:
    """The page an SMS points to: the incident, or the status page."""
    return _link(event.incident_id)


def render_email(name: str, context: dict) -> EmailContent:
    base = f"notifications/email/{name}"
    context = {"site_name": settings.SITE_NAME, **context}
    return EmailContent(
        subject=render_to_string(f"{base}.subject.txt", context).strip(),
        text=render_to_string(f"{base}.txt", context),
        html=render_to_string(f"{base}.html", context),
    )


def render_sms(name: str, context: dict) -> str:
    context = {"site_name": settings.SITE_NAME, **context}
    return render_to_string(f"notifications/sms/{name}.txt", context).strip()


# Per-subscriber links go in after rendering: one render per event serves every subscriber.
MANAGE_MARK = "__manage_url__"
UNSUBSCRIBE_MARK = "__unsubscribe_url__"


def event_message(event: Event, channel: str) -> EmailContent | str:
    """An event's message for one channel, rendered once per process (events never change)."""
    return _render_event(event.pk, event.created_at, channel, settings.SITE_URL, settings.SITE_NAME)


@functools.lru_cache(maxsize=32)
def _render_event(event_id, created_at, channel, site_url, site_name) -> EmailContent | str:
    # Keyed by creation time and site too, so a reused id or a new SITE_URL never hits a stale entry.
    event = Event.objects.select_related("incident", "incident_update", "component").get(pk=event_id)
    context = event_context(event)
    name = template_for(event)
    if channel == "email":
        return render_email(name, {**context, "manage_url": MANAGE_MARK, "unsubscribe_url": UNSUBSCRIBE_MARK})
    return render_sms(name, context)


def with_links(content: EmailContent, manage_url: str, unsubscribe_url: str) -> EmailContent:
    def fill(text: str) -> str:
        return text.replace(MANAGE_MARK, manage_url).replace(UNSUBSCRIBE_MARK, unsubscribe_url)

    return EmailContent(content.subject, fill(content.text), fill(content.html))


def template_for(event: Event) -> str:
    """Incident and maintenance events share the timeline template; other kinds get their own."""
    return "incident_update" if event.incident_id else event.kind.replace(".", "_")
