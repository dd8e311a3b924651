"""A general incident (no affected component) through the staff API, as Statuspage allows."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from incidents.models import ComponentStatus, Event, EventKind, Incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def responder_client() -> APIClient:
    user = get_user_model().objects.create_user("rene", "rene@example.com")
    user.groups.add(Group.objects.get(name="Responder"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


GENERAL = {"name": "Delayed emails", "status": "investigating", "body": "Some emails arrive late."}


@pytest.mark.parametrize("components", [None, {}, []], ids=["left out", "empty map", "empty list"])
def test_an_incident_with_no_component_is_declared_with_impact_none(responder_client, component, components):
    payload = dict(GENERAL) if components is None else {**GENERAL, "components": components}
    response = responder_client.post("/api/v1/incidents/", payload, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["components"] == [] and body["impact"] == "none" and body["is_published"] is True
    assert Event.objects.filter(kind=EventKind.INCIDENT_CREATED, incident_id=body["id"]).count() == 1
    component.refresh_from_db()
    assert component.status == ComponentStatus.OPERATIONAL


def test_a_general_incident_keeps_an_impact_given_by_staff(responder_client):
    response = responder_client.post("/api/v1/incidents/", {**GENERAL, "impact": "minor"}, format="json")
    assert response.status_code == 201
    assert Incident.objects.get().impact == "minor"
