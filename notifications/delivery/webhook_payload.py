"""What a webhook subscriber receives: Statuspage's webhook JSON, signed.

The shape is Atlassian Statuspage's (support.atlassian.com/statuspage/docs/enable-webhook-notifications,
and the payloads Statuspage really sends, e.g. Zulip's integration fixtures): `meta`, `page`, then
either `incident` (maintenance too: Statuspage sends a maintenance as an incident with its
`scheduled_*` fields set and impact "maintenance") or `component` + `component_update`. The objects
carry every key of both, so consumers written against either parse ours unchanged.

Signing (ours; Statuspage does not sign): `X-Statuspage-Signature: t=<unix time>,v1=<hex>` where hex is
HMAC-SHA256(secret, f"{t}." + body); `X-Statuspage-Delivery` is the same on every retry of one
delivery, so a receiver can drop a repeat; `X-Statuspage-Event` is the event kind.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import TypedDict

from django.conf import settings
from django.utils import timezone

from incidents.models import Event, EventKind, Incident, StatusPage
from incidents.public.page_scope import page_components
from incidents.public.page_state import page_state, with_timelines
from incidents.public.statuspage_v2 import (
    ComponentDict,
    IncidentUpdateDict,
    component_json,
    incident_json,
    iso,
    maintenance_json,
    page_id,
)

SIGNATURE_HEADER = "X-Statuspage-Signature"
DELIVERY_HEADER = "X-Statuspage-Delivery"
EVENT_HEADER = "X-Statuspage-Event"
DOCUMENTATION_URL = "https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/"
# A signature older (or newer) than this is refused by verify(): a captured request can't be replayed later.
DEFAULT_TOLERANCE_SECONDS = 300


class MetaDict(TypedDict):
    unsubscribe: str
    documentation: str
    generated_at: str


class PageDict(TypedDict):
    id: str
    status_indicator: str  # none, minor, major, critical
    status_description: str


class WebhookComponentDict(TypedDict):
    id: str
    name: str
    status: str  # operational, degraded_performance, partial_outage, major_outage, under_maintenance
    created_at: str | None
    updated_at: str | None
    position: int
    description: str | None
    showcase: bool
    page_id: str
    group_id: str | None


class ComponentUpdateDict(TypedDict):
    id: str
    component_id: str
    component_type: str  # always "Component"
    old_status: str
    new_status: str
    created_at: str | None


class WebhookUpdateDict(TypedDict):
    id: str
    incident_id: str
    status: str  # the incident's or maintenance's status enum
    body: str
    created_at: str | None
    updated_at: str | None
    display_at: str | None
    affected_components: list  # [{code, name, old_status, new_status}], the page's components only
    deliver_notifications: bool
    custom_tweet: str | None
    wants_twitter_update: bool
    twitter_updated_at: str | None


class WebhookIncidentDict(TypedDict):
    id: str
    name: str
    status: str
    impact: str  # none, minor, major, critical; "maintenance" for a maintenance
    created_at: str | None
    updated_at: str | None
    monitoring_at: str | None
    resolved_at: str | None
    shortlink: str
    page_id: str
    organization_id: str  # the page's id, as in Statuspage's documented example
    backfilled: bool
    impact_override: str | None
    postmortem_body: str | None
    postmortem_body_last_updated_at: str | None
    postmortem_ignored: bool
    postmortem_notified_subscribers: bool
    postmortem_notified_twitter: bool
    postmortem_published_at: str | None
    scheduled_for: str | None
    scheduled_until: str | None
    scheduled_remind_prior: bool
    scheduled_reminded_at: str | None
    scheduled_auto_transition: bool
    scheduled_auto_in_progress: bool
    scheduled_auto_completed: bool
    incident_updates: list[WebhookUpdateDict]  # newest first
    components: list[WebhookComponentDict]


class WebhookBody(TypedDict, total=False):
    meta: MetaDict
    page: PageDict
    incident: WebhookIncidentDict
    component: WebhookComponentDict
    component_update: ComponentUpdateDict


def webhook_body(
    event: Event, page: StatusPage, unsubscribe_url: str, documentation_url: str = DOCUMENTATION_URL
) -> WebhookBody:
    """The JSON a webhook subscriber of `page` receives for `event`."""
    return with_meta(webhook_content(event, page), unsubscribe_url, documentation_url)


def with_meta(
    content: WebhookBody, unsubscribe_url: str, documentation_url: str = DOCUMENTATION_URL
) -> WebhookBody:
    """One subscriber's body: `meta` (its own unsubscribe link, generated now) before the shared content."""
    meta: MetaDict = {
        "unsubscribe": unsubscribe_url,
        "documentation": documentation_url,
        "generated_at": iso(timezone.now()),
    }
    return {"meta": meta, **content}  # type: ignore[typeddict-item]


def webhook_content(event: Event, page: StatusPage) -> WebhookBody:
    """What every webhook subscriber of the page gets for the event: `page` and the subject.

    Build it once per event and page; `with_meta` adds each subscriber's part.
    """
    state = page_state(page, timelines=False)
    body: WebhookBody = {
        "page": {
            "id": page_id(page),
            "status_indicator": str(state.indicator),
            "status_description": state.description,
        },
    }
    if event.incident_id:
        body["incident"] = _incident(event, page)
    elif event.component_id:
        component = _component_on(page, event.component_id)
        body["component"] = component
        body["component_update"] = {
            "id": str(event.pk),
            "component_id": component["id"],
            "component_type": "Component",
            "old_status": str(event.data.get("from") or component["status"]),
            "new_status": str(event.data.get("to") or component["status"]),
            "created_at": iso(event.created_at),
        }
    else:
        raise ValueError(f"{event.kind} event #{event.pk} names neither an incident nor a component")
    return body


def _incident(event: Event, page: StatusPage) -> WebhookIncidentDict:
    # with_timelines: updates newest first, the page's components only, and each update's
    # affected_components trimmed to the page's (another page's components are not named).
    (incident,) = with_timelines(Incident.objects.filter(pk=event.incident_id), page)
    shape = maintenance_json(incident, page) if incident.is_maintenance else incident_json(incident, page)
    maintenance = incident.is_maintenance
    auto = maintenance and incident.auto_transition
    postmortem = iso(incident.postmortem_published_at)
    return {
        "id": shape["id"],
        "name": shape["name"],
        "status": shape["status"],
        "impact": shape["impact"],
        "created_at": shape["created_at"],
        "updated_at": shape["updated_at"],
        "monitoring_at": shape["monitoring_at"],
        "resolved_at": shape["resolved_at"],
        "shortlink": shape["shortlink"],
        "page_id": shape["page_id"],
        "organization_id": shape["page_id"],
        "backfilled": False,
        "impact_override": None,
        "postmortem_body": incident.postmortem_body if postmortem else None,
        "postmortem_body_last_updated_at": postmortem,
        "postmortem_ignored": False,
        "postmortem_notified_subscribers": postmortem is not None,
        "postmortem_notified_twitter": False,
        "postmortem_published_at": postmortem,
        "scheduled_for": iso(incident.scheduled_for) if maintenance else None,
        "scheduled_until": iso(incident.scheduled_until) if maintenance else None,
        "scheduled_remind_prior": maintenance and settings.MAINTENANCE_REMINDER_MINUTES > 0,
        "scheduled_reminded_at": iso(event.created_at)
        if event.kind == EventKind.MAINTENANCE_REMINDER
        else None,
        "scheduled_auto_transition": auto,
        "scheduled_auto_in_progress": auto,
        "scheduled_auto_completed": auto,
        "incident_updates": [_update(u) for u in shape["incident_updates"]],
        "components": [_component(c) for c in shape["components"]],
    }


def _update(update: IncidentUpdateDict) -> WebhookUpdateDict:
    return {
        "id": update["id"],
        "incident_id": update["incident_id"],
        "status": update["status"],
        "body": update["body"],
        "created_at": update["created_at"],
        "updated_at": update["updated_at"],
        "display_at": update["display_at"],
        "affected_components": list(update["affected_components"] or []),
        "deliver_notifications": update["deliver_notifications"],
        "custom_tweet": None,
        "wants_twitter_update": False,
        "twitter_updated_at": None,
    }


def _component(component: ComponentDict) -> WebhookComponentDict:
    keys = WebhookComponentDict.__annotations__
    return {key: component[key] for key in keys}  # type: ignore[return-value]


def _component_on(page: StatusPage, component_id: int) -> WebhookComponentDict:
    """The component as the page shows it (its group there); refused if the page does not show it."""
    for component in page_components(page):
        if component.pk == component_id:
            return _component(component_json(component, page))
    raise ValueError(f"component #{component_id} is not on page {page_id(page)!r}")


def encode(body: WebhookBody | dict) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of f"{timestamp}." + body."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, delivery_id: str, event_kind: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """Every header a webhook POST carries."""
    timestamp = int(time.time() if now is None else now)
    return {
        "Content-Type": "application/json",
        "User-Agent": f"{settings.SITE_NAME} status webhooks",
        SIGNATURE_HEADER: f"t={timestamp},v1={sign(secret, timestamp, body)}",
        DELIVERY_HEADER: str(delivery_id),
        EVENT_HEADER: event_kind,
    }


def verify(
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether an X-Statuspage-Signature header signs this body with this secret, recently enough."""
    fields = [part.strip().partition("=") for part in header.split(",")]
    stamps = [value for key, _, value in fields if key == "t"]
    signatures = [value for key, _, value in fields if key == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not signatures:
        return False
    timestamp = int(stamps[0])
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
