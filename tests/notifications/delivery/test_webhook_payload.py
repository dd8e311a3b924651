"""Our webhook JSON against Statuspage's, key by key, and the signature a receiver checks."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest.mock import ANY

import pytest
from django.utils import timezone

from incidents.models import (
    Component,
    ComponentStatus,
    Event,
    EventKind,
    Impact,
    IncidentStatus,
    PageComponent,
    StatusPage,
)
from incidents.monitoring.component_status import set_component_status
from incidents.timeline.incident_lifecycle import declare_incident, post_update
from incidents.timeline.maintenance import schedule_maintenance
from notifications.delivery.webhook_payload import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    encode,
    sign,
    signed_headers,
    verify,
    webhook_body,
)

pytestmark = pytest.mark.django_db

UNSUBSCRIBE = "https://status.example.test/unsubscribe/abc"
S, N, B, NUM = "str", "null", "bool", "int"  # value types in the reference shapes below

# The shapes of Statuspage's webhooks: every key, with its value's type (N: null there, so a
# nullable string). Two references, because they differ and consumers are written against both:
# DOCUMENTED is the example on support.atlassian.com/statuspage/docs/enable-webhook-notifications/;
# SENT is what Statuspage really posts (captured payloads, e.g. zulip/zulip's
# zerver/webhooks/statuspage/fixtures), which adds generated_at, page_id, components and
# affected_components. Ours must carry the union of the two, and nothing else.
DOCUMENTED_UPDATE = dict.fromkeys(["body", "created_at", "display_at", "status", "updated_at", "id"], S) | {
    "twitter_updated_at": N,
    "wants_twitter_update": B,
    "incident_id": S,
}
DOCUMENTED_INCIDENT = {
    **dict.fromkeys(["created_at", "impact", "monitoring_at", "shortlink", "status", "updated_at"], S),
    **dict.fromkeys(["id", "organization_id", "name"], S),
    **dict.fromkeys(["impact_override", "postmortem_body", "postmortem_body_last_updated_at"], N),
    **dict.fromkeys(["postmortem_published_at", "resolved_at", "scheduled_for", "scheduled_reminded_at"], N),
    "scheduled_until": N,
    **dict.fromkeys(["backfilled", "postmortem_ignored", "postmortem_notified_subscribers"], B),
    **dict.fromkeys(
        ["postmortem_notified_twitter", "scheduled_auto_transition", "scheduled_remind_prior"], B
    ),
    "incident_updates": [DOCUMENTED_UPDATE],
}
DOCUMENTED_META = {"unsubscribe": S, "documentation": S}
PAGE = {"id": S, "status_indicator": S, "status_description": S}
DOCUMENTED = {
    "incident": {"meta": DOCUMENTED_META, "page": PAGE, "incident": DOCUMENTED_INCIDENT},
    "component": {
        "meta": DOCUMENTED_META,
        "page": PAGE,
        "component_update": dict.fromkeys(
            ["created_at", "new_status", "old_status", "id", "component_id"], S
        ),
        "component": dict.fromkeys(["created_at", "id", "name", "status"], S),
    },
}
SENT_COMPONENT = {
    **dict.fromkeys(["status", "name", "created_at", "updated_at", "id", "page_id"], S),
    "position": NUM,
    "description": N,
    "showcase": B,
    "group_id": N,
}
SENT_UPDATE = {
    **DOCUMENTED_UPDATE,
    "affected_components": [dict.fromkeys(["code", "name", "old_status", "new_status"], S)],
    "custom_tweet": N,
    "deliver_notifications": B,
}
SENT_INCIDENT = {
    **{
        k: v
        for k, v in DOCUMENTED_INCIDENT.items()
        if k not in ("organization_id", "scheduled_auto_transition")
    },
    "monitoring_at": N,
    **dict.fromkeys(["scheduled_auto_in_progress", "scheduled_auto_completed"], B),
    "page_id": S,
    "incident_updates": [SENT_UPDATE],
    "components": [SENT_COMPONENT],
}
SENT_META = {**DOCUMENTED_META, "generated_at": S}
SENT = {
    "incident": {"meta": SENT_META, "page": PAGE, "incident": SENT_INCIDENT},
    "component": {
        "meta": SENT_META,
        "page": PAGE,
        "component": SENT_COMPONENT,
        "component_update": {**DOCUMENTED["component"]["component_update"], "component_type": S},
    },
}

PAGE_INDICATORS = {"none", "minor", "major", "critical", "maintenance"}
COMPONENT_STATUSES = set(ComponentStatus.values)
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}


def kind_of(value) -> str:
    if isinstance(value, bool):
        return B
    return {str: S, int: NUM, type(None): N}.get(type(value), type(value).__name__)


def compare(ours, documented, sent, path="$") -> list[str]:
    """How our value differs from the references (None: absent there): keys at every level, value types."""
    refs = [r for r in (documented, sent) if r is not None]
    if isinstance(refs[0], dict):
        if not isinstance(ours, dict):
            return [f"{path}: {kind_of(ours)} where Statuspage has an object"]
        union = set().union(*refs)
        problems = [f"{path}.{k}: missing" for k in sorted(union - set(ours))]
        problems += [f"{path}.{k}: not in Statuspage's webhooks" for k in sorted(set(ours) - union)]
        for key in sorted(union & set(ours)):
            problems += compare(ours[key], _get(documented, key), _get(sent, key), f"{path}.{key}")
        return problems
    if isinstance(refs[0], list):
        if not isinstance(ours, list):
            return [f"{path}: {kind_of(ours)} where Statuspage has a list"]
        items = [r[0] if r else None for r in (documented, sent)]
        return [p for item in ours for p in compare(item, *items, path=f"{path}[]")]
    allowed = set(refs) | ({S} if N in refs else set())  # null in an example: a nullable string
    return [] if kind_of(ours) in allowed else [f"{path}: {kind_of(ours)}, Statuspage has {sorted(allowed)}"]


def _get(reference, key):
    return reference.get(key) if isinstance(reference, dict) else None


@pytest.fixture
def two_pages(db):
    """The default page shows both components; "partner" shows only its own."""
    queue = Component.objects.create(name="Message queue", position=1)
    partner_api = Component.objects.create(name="Partner API", position=2)
    partner = StatusPage.objects.create(name="Partner status", slug="partner")
    PageComponent.objects.create(page=partner, component=partner_api)
    return StatusPage.objects.get(is_default=True), partner, queue, partner_api


@pytest.fixture
def incident_event(two_pages):
    page, partner, queue, partner_api = two_pages
    incident = declare_incident(
        "Queue delays",
        "We are looking into it.",
        IncidentStatus.INVESTIGATING,
        {queue.pk: ComponentStatus.DEGRADED, partner_api.pk: ComponentStatus.PARTIAL_OUTAGE},
    )
    post_update(
        incident, IncidentStatus.IDENTIFIED, "A full disk.", component_statuses={queue.pk: "major_outage"}
    )
    return Event.objects.filter(incident=incident).order_by("-id").first()


def assert_shape(body: dict, kind: str) -> None:
    """Compare what goes on the wire (the JSON, not the Python values) with Statuspage's."""
    assert compare(json.loads(encode(body)), DOCUMENTED[kind], SENT[kind]) == []
    assert body["page"]["status_indicator"] in PAGE_INDICATORS
    assert list(body)[:2] == ["meta", "page"]


def test_incident_payload_has_statuspages_keys_types_and_enums(incident_event, two_pages):
    page = two_pages[0]

    body = webhook_body(incident_event, page, UNSUBSCRIBE)

    assert_shape(body, "incident")
    incident = body["incident"]
    assert incident["status"] in INCIDENT_STATUSES and incident["impact"] in {i.value for i in Impact}
    assert body["meta"]["unsubscribe"] == UNSUBSCRIBE
    assert body["page"] == {"id": "statuspage", "status_indicator": "critical", "status_description": ANY}
    updates = incident["incident_updates"]
    assert [u["status"] for u in updates] == ["identified", "investigating"]  # newest first
    assert updates[0]["created_at"] >= updates[1]["created_at"]
    assert {c["new_status"] for u in updates for c in u["affected_components"]} <= COMPONENT_STATUSES
    assert all(c["status"] in COMPONENT_STATUSES for c in incident["components"])


def test_an_incident_names_only_the_subscribers_pages_components(incident_event, two_pages):
    page, partner, queue, partner_api = two_pages

    body = webhook_body(incident_event, partner, UNSUBSCRIBE)

    assert_shape(body, "incident")
    assert [c["name"] for c in body["incident"]["components"]] == ["Partner API"]
    named = {c["name"] for u in body["incident"]["incident_updates"] for c in u["affected_components"]}
    assert named == {"Partner API"}
    assert "Message queue" not in encode(body).decode()
    assert body["page"]["id"] == "partner" and body["incident"]["page_id"] == "partner"


def test_component_payload_has_statuspages_keys_and_the_change(two_pages):
    page, partner, queue, partner_api = two_pages
    set_component_status(queue, ComponentStatus.PARTIAL_OUTAGE)
    event = Event.objects.get(kind=EventKind.COMPONENT_STATUS_CHANGED, component=queue)

    body = webhook_body(event, page, UNSUBSCRIBE)

    assert_shape(body, "component")
    update = body["component_update"]
    assert (update["old_status"], update["new_status"]) == ("operational", "partial_outage")
    assert update["component_id"] == body["component"]["id"] == str(queue.pk)
    assert update["id"] == str(event.pk) and body["component"]["status"] in COMPONENT_STATUSES
    assert body["page"]["status_indicator"] == "major"


def test_a_component_of_another_page_is_not_sent_to_this_pages_subscribers(two_pages):
    page, partner, queue, partner_api = two_pages
    set_component_status(queue, ComponentStatus.MAJOR_OUTAGE)
    event = Event.objects.get(kind=EventKind.COMPONENT_STATUS_CHANGED, component=queue)

    with pytest.raises(ValueError, match="not on page"):
        webhook_body(event, partner, UNSUBSCRIBE)


def test_maintenance_is_sent_as_statuspages_scheduled_incident(two_pages, settings):
    page, partner, queue, partner_api = two_pages
    settings.MAINTENANCE_REMINDER_MINUTES = 60
    start = timezone.now() + timedelta(days=1)
    maintenance = schedule_maintenance("Disk swap", "New disks.", [queue], start, start + timedelta(hours=2))
    event = Event.objects.get(kind=EventKind.MAINTENANCE_SCHEDULED, incident=maintenance)

    body = webhook_body(event, page, UNSUBSCRIBE)

    assert_shape(body, "incident")
    sent = body["incident"]
    assert sent["status"] in MAINTENANCE_STATUSES and sent["impact"] == "maintenance"
    assert sent["scheduled_for"].startswith(start.date().isoformat()) and sent["scheduled_until"]
    assert sent["scheduled_remind_prior"] is True and sent["scheduled_auto_transition"] is True
    assert sent["incident_updates"][0]["status"] == "scheduled"


def test_signature_round_trip_and_headers(settings):
    settings.SITE_NAME = "Acme Status"
    body = encode({"hello": "wörld"})

    headers = signed_headers("s3cret", "delivery-42", "incident.updated", body, now=1_700_000_000)

    assert headers[SIGNATURE_HEADER] == f"t=1700000000,v1={sign('s3cret', 1_700_000_000, body)}"
    assert headers[DELIVERY_HEADER] == "delivery-42" and headers[EVENT_HEADER] == "incident.updated"
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "Acme Status status webhooks"
    assert verify("s3cret", headers[SIGNATURE_HEADER], body, now=1_700_000_100)


def test_a_retry_keeps_the_delivery_id_and_signs_afresh():
    body = encode({"n": 1})
    first = signed_headers("s3cret", "d-1", "incident.created", body, now=1_700_000_000)
    retry = signed_headers("s3cret", "d-1", "incident.created", body, now=1_700_000_600)

    assert first[DELIVERY_HEADER] == retry[DELIVERY_HEADER]
    assert first[SIGNATURE_HEADER] != retry[SIGNATURE_HEADER]
    assert verify("s3cret", retry[SIGNATURE_HEADER], body, now=1_700_000_601)


@pytest.mark.parametrize(
    ("secret", "body", "now", "header"),
    [
        ("s3cret", b'{"n":2}', 1_700_000_000, None),  # tampered body
        ("other", b'{"n":1}', 1_700_000_000, None),  # another secret
        ("s3cret", b'{"n":1}', 1_700_000_301, None),  # too old: a replay
        ("s3cret", b'{"n":1}', 1_699_999_699, None),  # from the future
        ("s3cret", b'{"n":1}', 1_700_000_000, "v1=abc"),  # no timestamp
        ("s3cret", b'{"n":1}', 1_700_000_000, "t=1700000000"),  # no signature
        ("s3cret", b'{"n":1}', 1_700_000_000, "t=1700000000,t=1700000000,v1=00"),
        ("s3cret", b'{"n":1}', 1_700_000_000, "garbage"),
    ],
)
def test_verify_refuses_a_tampered_old_or_malformed_signature(secret, body, now, header):
    good = signed_headers("s3cret", "d", "incident.created", b'{"n":1}', now=1_700_000_000)[SIGNATURE_HEADER]
    assert not verify(secret, header or good, body, now=now)


def test_verify_accepts_any_of_several_signatures_while_a_secret_rotates():
    body = b'{"n":1}'
    header = f"t=1700000000,v1={sign('old', 1_700_000_000, body)},v1={sign('new', 1_700_000_000, body)}"
    assert verify("new", header, body, now=1_700_000_000)
    assert verify("old", header, body, now=1_700_000_000)
