"""The staff API answers no role with a credential or an address, and a half-logged-in session is nobody."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import Impact, Incident, Integration, Probe, ProbeKind
from incidents.timeline.incident_lifecycle import open_incident
from notifications.models import Subscriber

pytestmark = pytest.mark.django_db

PROBE_SECRET = "probe-secret-9f8e7d6c5b4a"
INTEGRATION_SECRET = "integration-secret-1a2b3c4d"
EMAIL = "alice.private@example.org"
PHONE = "+14155552671"
ROLES = ["Viewer", "Responder", "Admin"]


def make_user(role: str):
    user = get_user_model().objects.create_user(role.lower(), f"{role.lower()}@staff.example.com")
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def world(component):
    probe = Probe.objects.create(
        component=component, name="beat", kind=ProbeKind.HEARTBEAT, secret=PROBE_SECRET
    )
    Integration.objects.create(kind="alertmanager", name="Prod", secret=INTEGRATION_SECRET)
    Subscriber.objects.create(email=EMAIL, phone=PHONE)
    incident = open_incident(
        Incident(name="Queue backlog", impact=Impact.MAJOR), "Looking.", components=[component]
    )
    return probe, incident


@pytest.mark.parametrize("role", ROLES)
def test_no_api_response_carries_a_credential_or_an_address(role, world):
    probe, incident = world
    user = make_user(role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    bodies = []
    for path in [
        "/api/v1/incidents/",
        f"/api/v1/incidents/{incident.pk}/",
        f"/api/v1/incidents/{incident.pk}/updates/",
        "/api/v1/maintenances/",
        "/api/v1/components/",
        f"/api/v1/components/{probe.component_id}/",
        "/api/v1/schema/",
    ]:
        response = client.get(path)
        assert response.status_code == 200, path
        bodies.append(response.content.decode())
    text = "\n".join(bodies)
    for hidden in [PROBE_SECRET, str(probe.ping_uuid), probe.ping_uuid.hex, INTEGRATION_SECRET, EMAIL, PHONE]:
        assert hidden not in text, hidden
    # Nor any token: not the caller's own, nor anyone's.
    for key in Token.objects.values_list("key", flat=True):
        assert key not in text
    assert json.loads(bodies[0])["results"][0]["name"] == "Queue backlog"


def test_a_session_that_owes_its_second_factor_is_nobody_to_the_api(client, world, settings):
    settings.STAFF_2FA_REQUIRED = True
    client.force_login(make_user("Admin"))  # a password, no second factor yet
    response = client.get("/api/v1/incidents/")
    assert response.status_code in (401, 403)
    assert "Queue backlog" not in response.content.decode()


def test_tokens_keep_working_when_the_second_factor_is_required(world, settings):
    # Tokens are a separate credential, for scripts: made by an Admin after a full sign-in.
    settings.STAFF_2FA_REQUIRED = True
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user('Admin')).key}")
    assert client.get("/api/v1/incidents/").status_code == 200
