"""Drafts stay private until published; auto-created incidents close themselves after recovery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import (
    ComponentStatus,
    Event,
    EventKind,
    Incident,
    IncidentStatus,
    Probe,
)
from incidents.monitoring.component_status import Observation, record_results
from incidents.timeline.auto_incidents import resolve_recovered
from incidents.timeline.incident_lifecycle import declare_incident, post_update, publish_incident
from tests.conftest import status_changes, status_of

pytestmark = pytest.mark.django_db


# --- Drafts


def components_json(client) -> dict:
    return {c["name"]: c["status"] for c in client.get("/api/v2/components.json").json()["components"]}


def test_a_draft_changes_no_component_until_it_is_published(client, component):
    draft = declare_incident(
        "Queue backlog", "Looking into it.", "investigating", {component.pk: "major_outage"}, publish=False
    )

    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert components_json(client)[component.name] == "operational"
    assert status_changes(component) == []
    assert not Event.objects.exists()

    publish_incident(draft)

    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE
    assert components_json(client)[component.name] == "major_outage"
    assert status_changes(component) == [("operational", "major_outage")]
    kinds = list(Event.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [EventKind.COMPONENT_STATUS_CHANGED, EventKind.INCIDENT_CREATED]


def test_a_draft_resolved_before_publication_leaves_its_components_alone(component):
    draft = declare_incident(
        "False alarm", "Looking into it.", "investigating", {component.pk: "partial_outage"}, publish=False
    )
    post_update(draft, IncidentStatus.RESOLVED, "Nothing was wrong.")

    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert not Event.objects.exists()


# --- Auto-created incidents resolve themselves


@pytest.fixture
def watched(component) -> Probe:
    component.auto_publish = True
    component.save()
    return Probe.objects.create(component=component, name="push", failure_threshold=2)


def push(probe: Probe, *results: bool) -> None:
    for ok in results:
        record_results(probe.pk, [Observation(ok=ok, observed_at=timezone.now())])


def test_an_auto_incident_resolves_itself_once_its_component_stays_up(settings, component, watched):
    settings.AUTO_RESOLVE_AFTER_SECONDS = 300
    push(watched, False, False)
    incident = Incident.objects.get(auto_created=True)
    push(watched, True)
    assert status_of(component) == ComponentStatus.OPERATIONAL

    assert resolve_recovered() == []  # recovered only just now
    later = timezone.now() + timedelta(seconds=301)
    assert resolve_recovered(now=later) == [incident.pk]

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    last = incident.updates.order_by("-created_at", "-id").first()
    print("auto-resolve update:", last.body)
    assert "recovered at" in last.body and "of outage" in last.body
    assert Event.objects.filter(kind=EventKind.INCIDENT_RESOLVED, incident=incident).count() == 1
    assert resolve_recovered(now=later) == []  # once


def test_an_auto_incident_stays_open_while_its_component_is_down(settings, component, watched):
    settings.AUTO_RESOLVE_AFTER_SECONDS = 0
    push(watched, False, False)

    assert resolve_recovered(now=timezone.now() + timedelta(hours=1)) == []
    assert Incident.objects.get(auto_created=True).status == IncidentStatus.INVESTIGATING


def test_an_auto_incident_a_person_updated_is_left_to_people(settings, component, watched, django_user_model):
    settings.AUTO_RESOLVE_AFTER_SECONDS = 0
    push(watched, False, False)
    incident = Incident.objects.get(auto_created=True)
    responder = django_user_model.objects.create_user("responder")
    post_update(incident, IncidentStatus.IDENTIFIED, "A full disk; cleaning up.", actor=responder)
    push(watched, True)

    assert resolve_recovered(now=timezone.now() + timedelta(hours=1)) == []
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED


def test_the_page_banner_follows_the_components_after_auto_resolution(settings, client, component, watched):
    settings.AUTO_RESOLVE_AFTER_SECONDS = 0
    push(watched, False, False)
    assert client.get("/api/v2/status.json").json()["status"]["indicator"] == "critical"
    push(watched, True)

    resolve_recovered(now=timezone.now() + timedelta(seconds=1))

    status = client.get("/api/v2/status.json").json()["status"]
    assert status == {"indicator": "none", "description": "All Systems Operational"}
