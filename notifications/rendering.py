"""Message text for each event and channel, from templates."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string

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
        "site_name": settings.SITE_NAME,
        "link": settings.SITE_URL + incident.get_absolute_url() if incident else settings.SITE_URL,
    }


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


def template_for(event: Event) -> str:
    """Incident and maintenance events share the timeline template; other kinds get their own."""
    return "incident_update" if event.incident_id else event.kind.replace(".", "_")
