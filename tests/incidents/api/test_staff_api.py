from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from incidents.models import (
    AuditEntry,
    Component,
    ComponentStatus,
    Event,
    EventKind,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentUpdate,
)
from incidents.timeline.incident_lifecycle import open_incident
from statuspage.wsgi import application

pytestmark = pytest.mark.django_db


def make_user(username: str, role: str | None = None):
    # No password: hashing one costs a tenth of a second, and tokens are all these users need.
    user = get_user_model().objects.create_user(username, f"{username}@example.com")
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@pytest.fixture
def viewer():
    return make_user("viola", "Viewer")


@pytest.fixture
def responder():
    return make_user("rene", "Responder")


@pytest.fixture
def viewer_client(viewer) -> APIClient:
    return client_for(viewer)


@pytest.fixture
def responder_client(responder) -> APIClient:
    return client_for(responder)


@pytest.fixture
def admin_client() -> APIClient:
    return client_for(make_user("ada", "Admin"))


@pytest.fixture(params=["Responder", "Admin"])
def writer_client(request) -> APIClient:
    return client_for(make_user(f"writer-{request.param.lower()}", request.param))


@pytest.fixture
def api(component):
    """The component under test and a second one."""
    return component, Component.objects.create(name="API us-east", position=2)


@pytest.fixture
def incident(api) -> Incident:
    queue, _ = api
    incident = Incident(name="Delayed messages", status=IncidentStatus.INVESTIGATING, impact=Impact.MAJOR)
    return open_incident(
        incident,
        "We are looking into it.",
        components=[queue],
        component_statuses={queue.pk: ComponentStatus.PARTIAL_OUTAGE},
    )


@pytest.fixture
def maintenance(api) -> Incident:
    now = timezone.now()
    incident = Incident(
        kind=IncidentKind.MAINTENANCE,
        name="Queue upgrade",
        status=IncidentStatus.SCHEDULED,
        impact=Impact.NONE,
        scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=2),
    )
    return open_incident(incident, "We will upgrade the queue.", components=[api[0]])


def in_an_hour(hours: float = 1) -> str:
    return (timezone.now() + timedelta(hours=hours)).isoformat()


def stored() -> dict[str, object]:
    """Everything an API write may change, to show that a refused one changed nothing."""
    return {
        "incidents": list(Incident.objects.order_by("pk").values()),
        "updates": IncidentUpdate.objects.count(),
        "events": Event.objects.count(),
        "audit": AuditEntry.objects.count(),
        "components": list(Component.objects.order_by("pk").values_list("pk", "status", "in_maintenance")),
    }


def endpoints(incident: Incident, maintenance: Incident, component: Component):
    """(method, url, payload, needed) for every operation; needed is "read", "incident" or "component"."""
    return [
        ("get", "/api/v1/incidents/", None, "read"),
        ("get", f"/api/v1/incidents/{incident.pk}/", None, "read"),
        ("get", f"/api/v1/incidents/{incident.pk}/updates/", None, "read"),
        ("get", "/api/v1/maintenances/", None, "read"),
        ("get", f"/api/v1/maintenances/{maintenance.pk}/", None, "read"),
        ("get", f"/api/v1/maintenances/{maintenance.pk}/updates/", None, "read"),
        ("get", "/api/v1/components/", None, "read"),
        ("get", f"/api/v1/components/{component.pk}/", None, "read"),
        (
            "post",
            "/api/v1/incidents/",
            {
                "name": "Slow API",
                "status": "investigating",
                "body": "Looking.",
                "components": {str(component.pk): "degraded_performance"},
            },
            "incident",
        ),
        ("patch", f"/api/v1/incidents/{incident.pk}/", {"name": "Delayed messages in eu-west"}, "incident"),
        (
            "post",
            f"/api/v1/incidents/{incident.pk}/updates/",
            {"status": "identified", "body": "Found it."},
            "incident",
        ),
        ("post", f"/api/v1/incidents/{incident.pk}/publish/", None, "incident"),
        (
            "post",
            "/api/v1/maintenances/",
            {
                "name": "Cache upgrade",
                "body": "Upgrading.",
                "components": [component.pk],
                "scheduled_for": in_an_hour(1),
                "scheduled_until": in_an_hour(2),
            },
            "incident",
        ),
        (
            "post",
            f"/api/v1/maintenances/{maintenance.pk}/updates/",
            {"status": "in_progress", "body": "Started early."},
            "incident",
        ),
        ("patch", f"/api/v1/components/{component.pk}/", {"status": "major_outage"}, "component"),
    ]


def call(client: APIClient, method: str, url: str, payload=None):
    return getattr(client, method)(url, payload, format="json")


# --- Access


def test_anonymous_requests_get_401_with_a_token_challenge(incident, maintenance, component):
    for method, url, payload, _ in endpoints(incident, maintenance, component):
        response = call(APIClient(), method, url, payload)
        assert response.status_code == 401, (method, url)
        assert response["WWW-Authenticate"] == "Token", (method, url)


def test_a_bad_token_gets_401(incident):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/incidents/").status_code == 401


def test_an_inactive_users_token_gets_401(viewer):
    client = client_for(viewer)
    viewer.is_active = False
    viewer.save()
    assert client.get("/api/v1/incidents/").status_code == 401


def test_a_user_without_a_role_gets_403_everywhere(incident, maintenance, component):
    client = client_for(make_user("nobody"))
    before = stored()
    for method, url, payload, _ in endpoints(incident, maintenance, component):
        assert call(client, method, url, payload).status_code == 403, (method, url)
    assert stored() == before


def test_a_viewer_can_read_everything_but_write_nothing(viewer_client, incident, maintenance, component):
    before = stored()
    for method, url, payload, needed in endpoints(incident, maintenance, component):
        response = call(viewer_client, method, url, payload)
        if needed == "read":
            assert response.status_code == 200, (method, url)
        else:
            assert response.status_code == 403, (method, url)
    assert stored() == before


@pytest.mark.parametrize("role", ["Responder", "Admin"])
def test_responders_and_admins_can_use_every_endpoint(role, incident, maintenance, component):
    client = client_for(make_user("someone", role))
    for method, url, payload, _ in endpoints(incident, maintenance, component):
        response = call(client, method, url, payload)
        assert response.status_code in (200, 201), (method, url, response.json())


def test_component_status_needs_its_own_permission(incident, maintenance, component):
    """Incident writers without change_component_status cannot set a status by hand."""
    from django.contrib.auth.models import Permission

    user = make_user("incidents-only")
    group = Group.objects.create(name="Incidents only")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="incidents",
            codename__in=["view_console", "add_incident", "change_incident", "add_incidentupdate"],
        )
    )
    user.groups.set([group])
    client = client_for(user)
    url = f"/api/v1/components/{component.pk}/"
    assert client.patch(url, {"status": "major_outage"}, format="json").status_code == 403
    assert client.get(url).status_code == 200
    payload = {"status": "identified", "body": "x"}
    response = client.post(f"/api/v1/incidents/{incident.pk}/updates/", payload, format="json")
    assert response.status_code == 201


def test_the_browsable_api_works_with_a_console_session(client, responder, incident):
    client.force_login(responder)
    response = client.get("/api/v1/incidents/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Delayed messages" in response.content


# --- Incidents


def test_declaring_an_incident_writes_the_event_and_an_audit_entry_with_the_actor(
    responder_client, responder, api
):
    queue, other = api
    response = responder_client.post(
        "/api/v1/incidents/",
        {
            "name": "Messages are delayed",
            "status": "identified",
            "body": "A shard is full.",
            "components": {str(queue.pk): "major_outage", str(other.pk): "degraded_performance"},
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    incident = Incident.objects.get(pk=body["id"])
    assert body["name"] == "Messages are delayed"
    assert body["status"] == "identified"
    assert body["impact"] == "critical"  # from the worst component status
    assert body["is_published"] is True
    assert {c["id"] for c in body["components"]} == {queue.pk, other.pk}
    assert incident.kind == IncidentKind.INCIDENT
    event = Event.objects.get(kind=EventKind.INCIDENT_CREATED)
    assert event.incident == incident
    assert event.incident_update.body == "A shard is full."
    assert event.incident_update.created_by == responder
    entry = AuditEntry.objects.get(action="incident.declared")
    assert entry.actor == responder
    assert entry.target_id == str(incident.pk)
    queue.refresh_from_db()
    assert queue.status == ComponentStatus.MAJOR_OUTAGE


def test_a_draft_writes_no_event_until_it_is_published(responder_client, responder, api):
    queue, _ = api
    response = responder_client.post(
        "/api/v1/incidents/",
        {
            "name": "Maybe an outage",
            "status": "investigating",
            "impact": "minor",
            "body": "Checking.",
            "components": [{"id": queue.pk, "status": "degraded_performance"}],
            "publish": False,
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["is_published"] is False
    assert response.json()["impact"] == "minor"
    incident_id = response.json()["id"]
    assert not Event.objects.filter(incident_id=incident_id).exists()

    response = responder_client.post(f"/api/v1/incidents/{incident_id}/publish/")
    assert response.status_code == 200
    assert response.json()["is_published"] is True
    assert Event.objects.filter(incident_id=incident_id, kind=EventKind.INCIDENT_CREATED).count() == 1
    assert AuditEntry.objects.filter(action="incident.published", actor=responder).count() == 1

    # Publishing again changes nothing and notifies nobody twice.
    assert responder_client.post(f"/api/v1/incidents/{incident_id}/publish/").status_code == 200
    assert Event.objects.filter(incident_id=incident_id).count() == 1


def test_the_list_shows_incidents_and_drafts_but_not_maintenance(
    viewer_client, incident, maintenance, django_assert_max_num_queries
):
    incident.is_published = False
    incident.save()
    with django_assert_max_num_queries(8):
        response = viewer_client.get("/api/v1/incidents/")
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["results"]] == [incident.pk]


def test_the_list_filters_by_status(viewer_client, incident):
    assert viewer_client.get("/api/v1/incidents/?status=investigating").json()["count"] == 1
    assert viewer_client.get("/api/v1/incidents/?status=resolved").json()["count"] == 0
    response = viewer_client.get("/api/v1/incidents/?status=scheduled")
    assert response.status_code == 400
    assert "status" in response.json()


def test_lists_are_paginated_by_50(viewer_client, component):
    for n in range(51):
        open_incident(Incident(name=f"Incident {n}"), "x", components=[component])
    first = viewer_client.get("/api/v1/incidents/").json()
    assert first["count"] == 51
    assert len(first["results"]) == 50
    assert first["next"].endswith("?page=2")
    assert len(viewer_client.get(first["next"]).json()["results"]) == 1
    assert viewer_client.get("/api/v1/incidents/?page=9").status_code == 404


def test_patch_renames_and_changes_impact_with_an_audit_entry(responder_client, responder, incident):
    response = responder_client.patch(
        f"/api/v1/incidents/{incident.pk}/", {"name": "Queue delays", "impact": "critical"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Queue delays"
    assert response.json()["impact"] == "critical"
    incident.refresh_from_db()
    assert (incident.name, incident.impact) == ("Queue delays", "critical")
    entry = AuditEntry.objects.get(action="incident.edited")
    assert entry.actor == responder
    assert entry.before["name"] == "Delayed messages"
    assert entry.after["impact"] == "critical"


def test_patch_refuses_a_status_change(responder_client, incident):
    before = stored()
    response = responder_client.patch(
        f"/api/v1/incidents/{incident.pk}/", {"status": "resolved"}, format="json"
    )
    assert response.status_code == 400
    assert "update" in response.json()["status"][0]
    assert stored() == before


def test_put_and_delete_are_not_allowed(admin_client, incident):
    assert admin_client.put(f"/api/v1/incidents/{incident.pk}/", {}, format="json").status_code == 405
    assert admin_client.delete(f"/api/v1/incidents/{incident.pk}/").status_code == 405


def test_posting_an_update_moves_the_status_and_sets_component_statuses(
    responder_client, responder, incident, api
):
    queue, _ = api
    response = responder_client.post(
        f"/api/v1/incidents/{incident.pk}/updates/",
        {"status": "monitoring", "body": "Fixed; watching.", "components": {str(queue.pk): "operational"}},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "monitoring"
    assert body["created_by"] == "rene"
    assert body["affected_components"] == [
        {
            "code": str(queue.pk),
            "name": queue.name,
            "old_status": "partial_outage",
            "new_status": "operational",
        }
    ]
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.MONITORING
    assert incident.monitoring_at is not None
    queue.refresh_from_db()
    assert queue.status == ComponentStatus.OPERATIONAL
    assert Event.objects.filter(kind=EventKind.INCIDENT_UPDATED, incident=incident).count() == 1
    assert AuditEntry.objects.filter(action="incident.updated", actor=responder).count() == 1

    updates = responder_client.get(f"/api/v1/incidents/{incident.pk}/updates/").json()
    assert [u["status"] for u in updates["results"]] == ["monitoring", "investigating"]


def test_resolving_restores_the_components(responder_client, incident, api):
    queue, _ = api
    response = responder_client.post(
        f"/api/v1/incidents/{incident.pk}/updates/",
        {"status": "resolved", "body": "All good."},
        format="json",
    )
    assert response.status_code == 201
    queue.refresh_from_db()
    assert queue.status == ComponentStatus.OPERATIONAL
    assert Event.objects.filter(kind=EventKind.INCIDENT_RESOLVED, incident=incident).count() == 1


# --- Bad input


VALID_INCIDENT = {"name": "Slow", "status": "investigating", "body": "Looking."}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({**VALID_INCIDENT, "components": None}, "components"),
        ({**VALID_INCIDENT, "name": ""}, "name"),
        ({**VALID_INCIDENT, "name": "x" * 201}, "name"),
        ({**VALID_INCIDENT, "name": 42}, "name"),
        ({**VALID_INCIDENT, "name": ["Slow"]}, "name"),
        ({**VALID_INCIDENT, "body": "x" * 10_001}, "body"),
        ({**VALID_INCIDENT, "body": "a\x00b"}, "body"),
        ({**VALID_INCIDENT, "status": "scheduled"}, "status"),
        ({**VALID_INCIDENT, "status": "resolved"}, "status"),
        ({**VALID_INCIDENT, "status": "x" * 100_000}, "status"),
        ({**VALID_INCIDENT, "status": None}, "status"),
        ({**VALID_INCIDENT, "impact": "catastrophic"}, "impact"),
        ({**VALID_INCIDENT, "publish": "false"}, "publish"),
        ({**VALID_INCIDENT, "publish": 0}, "publish"),
        ({**VALID_INCIDENT, "publsh": False}, "publsh"),
        ({**VALID_INCIDENT, "components": "1"}, "components"),
        ({**VALID_INCIDENT, "components": {"999999": "major_outage"}}, "components"),
        ({**VALID_INCIDENT, "components": {"abc": "major_outage"}}, "components"),
        ({**VALID_INCIDENT, "components": {"-1": "major_outage"}}, "components"),
        ({**VALID_INCIDENT, "components": {str(10**30): "major_outage"}}, "components"),
        ({**VALID_INCIDENT, "components": {"ID": "on_fire"}}, "components"),
        ({**VALID_INCIDENT, "components": [{"id": "1", "status": "major_outage"}]}, "components"),
        ({**VALID_INCIDENT, "components": [{"id": 10**30, "status": "major_outage"}]}, "components"),
        ({**VALID_INCIDENT, "components": [{"id": True, "status": "major_outage"}]}, "components"),
        ({**VALID_INCIDENT, "components": [{"id": 1}]}, "components"),
        ({**VALID_INCIDENT, "components": [{"id": 1, "status": "major_outage", "x": 1}]}, "components"),
        ({**VALID_INCIDENT, "components": [[1, "major_outage"]]}, "components"),
        ({**VALID_INCIDENT, "components": [None]}, "components"),
        ([VALID_INCIDENT], "non_field_errors"),
        ("just a string", "non_field_errors"),
    ],
)
def test_bad_incidents_are_rejected_with_400_and_store_nothing(responder_client, api, payload, field):
    queue, _ = api
    if isinstance(payload, dict) and "components" not in payload and field != "name":
        payload = {**payload, "components": {str(queue.pk): "major_outage"}}
    before = stored()
    response = responder_client.post("/api/v1/incidents/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert stored() == before


def test_a_component_listed_twice_is_rejected(responder_client, api):
    queue, _ = api
    payload = {
        **VALID_INCIDENT,
        "components": [{"id": queue.pk, "status": "major_outage"}, {"id": queue.pk, "status": "operational"}],
    }
    response = responder_client.post("/api/v1/incidents/", payload, format="json")
    assert response.status_code == 400
    assert "twice" in response.json()["components"][0]


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"name": NaN}',
        b"\xff\xfe",
        b"",
        b'{"name": "\\ud800"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"name": ' * 50_000 + b"1" + b"}" * 50_000,
    ],
    ids=["not-json", "nan", "not-utf8", "empty", "lone-surrogate", "deep-lists", "deep-objects"],
)
def test_malformed_json_is_400(responder_client, api, raw):
    before = stored()
    response = responder_client.generic("POST", "/api/v1/incidents/", raw, content_type="application/json")
    assert response.status_code == 400
    assert stored() == before


def test_a_form_encoded_body_is_415(responder_client):
    response = responder_client.post("/api/v1/incidents/", {"name": "x"}, format="multipart")
    assert response.status_code == 415


def test_an_oversized_body_is_400(responder_client, settings, api):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    payload = {**VALID_INCIDENT, "body": "x" * 2000, "components": {str(api[0].pk): "major_outage"}}
    response = responder_client.post("/api/v1/incidents/", payload, format="json")
    assert response.status_code == 400
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"status": "scheduled", "body": "x"},
        {"status": "postmortem", "body": "x"},
        {"status": "identified"},
        {"status": "identified", "body": ""},
        {"status": "identified", "body": "x", "components": {"999999": "operational"}},
        {"status": "identified", "body": "x", "components": "operational"},
        {"status": "identified", "body": "x", "extra": 1},
    ],
)
def test_bad_updates_are_rejected_with_400_and_store_nothing(responder_client, incident, payload):
    before = stored()
    response = responder_client.post(f"/api/v1/incidents/{incident.pk}/updates/", payload, format="json")
    assert response.status_code == 400
    assert stored() == before


def test_an_update_may_not_set_components_outside_the_incident(responder_client, incident, api):
    _, other = api
    before = stored()
    response = responder_client.post(
        f"/api/v1/incidents/{incident.pk}/updates/",
        {"status": "identified", "body": "x", "components": {str(other.pk): "major_outage"}},
        format="json",
    )
    assert response.status_code == 400
    assert "not part of this incident" in response.json()["components"][0]
    assert stored() == before


def test_incidents_and_maintenance_do_not_answer_for_each_other(admin_client, incident, maintenance):
    assert admin_client.get(f"/api/v1/incidents/{maintenance.pk}/").status_code == 404
    assert admin_client.get(f"/api/v1/maintenances/{incident.pk}/").status_code == 404
    assert admin_client.get(f"/api/v1/incidents/{maintenance.pk}/updates/").status_code == 404
    response = admin_client.post(
        f"/api/v1/maintenances/{incident.pk}/updates/", {"status": "completed", "body": "x"}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/incidents/999999/",
        "/api/v1/incidents/999999/updates/",
        f"/api/v1/incidents/{10**30}/",
        "/api/v1/components/999999/",
        f"/api/v1/components/{10**30}/",
        "/api/v1/maintenances/999999/",
    ],
)
def test_unknown_ids_are_404(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 404
    assert "detail" in response.json()


# --- Maintenance


def maintenance_payload(component: Component, **overrides) -> dict:
    return {
        "name": "Database upgrade",
        "body": "We will upgrade the database.",
        "components": [component.pk],
        "scheduled_for": in_an_hour(1),
        "scheduled_until": in_an_hour(3),
        **overrides,
    }


def test_scheduling_maintenance_announces_it(responder_client, responder, component):
    response = responder_client.post("/api/v1/maintenances/", maintenance_payload(component), format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "scheduled"
    assert body["impact"] == "none"
    assert body["auto_transition"] is True
    maintenance = Incident.objects.get(pk=body["id"])
    assert maintenance.kind == IncidentKind.MAINTENANCE
    assert list(maintenance.components.all()) == [component]
    assert Event.objects.filter(kind=EventKind.MAINTENANCE_SCHEDULED, incident=maintenance).count() == 1
    assert AuditEntry.objects.filter(action="maintenance.declared", actor=responder).count() == 1
    assert responder_client.get("/api/v1/maintenances/").json()["results"][0]["id"] == maintenance.pk


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"scheduled_until": (timezone.now() - timedelta(hours=1)).isoformat(), "scheduled_for": None}, None),
        ({"scheduled_until": "now"}, "scheduled_until"),
        ({"scheduled_for": "2030-01-01"}, "scheduled_for"),
        ({"scheduled_for": "2030-01-01T10:00:00"}, "scheduled_for"),
        ({"scheduled_for": 1893456000}, "scheduled_for"),
        ({"scheduled_until": "9999-12-31T23:59:59-23:59"}, "scheduled_until"),
        ({"components": []}, "components"),
        ({"components": [999999]}, "components"),
        ({"components": ["1"]}, "components"),
        ({"components": [10**30]}, "components"),
        ({"components": {"1": "under_maintenance"}}, "components"),
        ({"auto_transition": "yes"}, "auto_transition"),
        ({"status": "in_progress"}, "status"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_bad_maintenance_is_rejected_with_400_and_stores_nothing(
    responder_client, component, overrides, field
):
    payload = maintenance_payload(component, **overrides)
    if field is None:
        # An end in the past, and a start before it.
        payload["scheduled_for"] = (timezone.now() - timedelta(hours=2)).isoformat()
        field = "scheduled_until"
    before = stored()
    response = responder_client.post("/api/v1/maintenances/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert stored() == before


def test_maintenance_must_end_after_it_starts(responder_client, component):
    payload = maintenance_payload(component, scheduled_for=in_an_hour(3), scheduled_until=in_an_hour(2))
    response = responder_client.post("/api/v1/maintenances/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["scheduled_until"] == ["The end must be after the start."]


def test_maintenance_updates_take_maintenance_statuses_only(responder_client, maintenance, component):
    url = f"/api/v1/maintenances/{maintenance.pk}/updates/"
    before = stored()
    response = responder_client.post(url, {"status": "investigating", "body": "x"}, format="json")
    assert response.status_code == 400
    assert stored() == before

    response = responder_client.post(url, {"status": "in_progress", "body": "Started."}, format="json")
    assert response.status_code == 201
    component.refresh_from_db()
    assert component.status == ComponentStatus.MAINTENANCE
    assert Event.objects.filter(kind=EventKind.MAINTENANCE_STARTED, incident=maintenance).count() == 1
    assert responder_client.get(f"/api/v1/maintenances/{maintenance.pk}/").json()["status"] == "in_progress"


# --- Components


def test_setting_a_component_status_by_hand(responder_client, responder, component):
    response = responder_client.patch(
        f"/api/v1/components/{component.pk}/", {"status": "degraded_performance"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "degraded_performance"
    component.refresh_from_db()
    assert component.status == ComponentStatus.DEGRADED
    assert Event.objects.filter(kind=EventKind.COMPONENT_STATUS_CHANGED, component=component).count() == 1
    assert AuditEntry.objects.get(action="component.status").actor == responder


@pytest.mark.parametrize(
    "payload",
    [{}, {"status": "down"}, {"status": 3}, {"status": "operational", "name": "Renamed"}, ["operational"]],
)
def test_bad_component_statuses_are_rejected_with_400(writer_client, component, payload):
    before = stored()
    response = writer_client.patch(f"/api/v1/components/{component.pk}/", payload, format="json")
    assert response.status_code == 400
    assert stored() == before


def test_components_are_listed_with_their_group(viewer_client, api, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = viewer_client.get("/api/v1/components/")
    results = response.json()["results"]
    assert [c["name"] for c in results] == ["Message queue eu-west", "API us-east"]
    assert results[0]["group"]["name"] == "Message queue"
    assert results[1]["group"] is None


# --- Schema


def test_the_schema_describes_token_auth(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    create = schema["paths"]["/api/v1/incidents/"]["post"]
    assert set(create["responses"]) == {"201", "400", "401", "403"}


# Loaded at import: the schema view needs no database. (schemathesis.pytest.from_fixture, the lazy
# loader, reads `Function._nodeid`, which pytest 9.2 no longer has.)
api_schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
# Ids of the objects the current schemathesis test made, by path prefix.
known_ids: dict[str, list[int]] = {}


@api_schema.hook
def before_generate_path_parameters(context, strategy):
    """Half the time, a real object: random ids alone would only ever exercise the 404s."""
    for prefix in ("incidents", "maintenances", "components"):
        if context.operation.path.startswith(f"/api/v1/{prefix}/"):
            real = st.integers(min_value=0, max_value=99).map(
                lambda n, prefix=prefix: {"id": known_ids[prefix][n % len(known_ids[prefix])]}
            )
            return st.one_of(strategy, real)
    return strategy


def real_components(value, ids: list[int]):
    """The same component statuses (map or list), for components that exist."""
    if isinstance(value, dict):
        return {str(ids[n % len(ids)]): status for n, status in enumerate(value.values())}
    if isinstance(value, list):
        return [
            {**item, "id": ids[n % len(ids)]} if isinstance(item, dict) else ids[n % len(ids)]
            for n, item in enumerate(value)
        ]
    return value


def with_real_components(case):
    """Point valid writes at real components and a future window, so that some of them succeed.

    Done in the test, not in a map_case hook: coverage cases are built at collection, before any
    objects exist.
    """
    if case.meta is None or not case.meta.generation.mode.is_positive or not isinstance(case.body, dict):
        return case
    if case.method != "POST" or "components" not in case.body:
        return case
    if case.path.endswith("/updates/"):
        case.body["components"] = real_components(case.body["components"], known_ids["affected"])
        return case
    case.body["components"] = real_components(case.body["components"], known_ids["components"])
    if case.path == "/api/v1/maintenances/":
        case.body["scheduled_for"] = in_an_hour(1)
        case.body["scheduled_until"] = in_an_hour(2)
    return case


@pytest.fixture
def in_process_wsgi():
    """Keep the test's connection open across requests, as Django's test client does.

    Schemathesis calls the WSGI app directly, whose request signals would otherwise close the
    connection the test transaction lives on.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(in_process_wsgi, api, incident, maintenance) -> Iterator[str]:
    known_ids.update(
        incidents=[incident.pk],
        maintenances=[maintenance.pk],
        components=[c.pk for c in api],
        affected=[api[0].pk],
    )
    yield Token.objects.create(user=make_user("schemathesis", "Admin")).key
    known_ids.clear()


@api_schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_matches_its_schema_and_never_fails(case, admin_token):
    with_real_components(case)
    case.call_and_validate(
        headers={"Authorization": f"Token {admin_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_headers_conformance,
            response_schema_conformance,
            negative_data_rejection,
        ],
    )
