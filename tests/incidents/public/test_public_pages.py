"""The public status page, incident pages and the Statuspage v2-compatible JSON."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incidents.models import Component, ComponentGroup, ComponentStatus, Impact, Incident
from incidents.monitoring.component_status import set_component_status
from incidents.timeline import incident_lifecycle as timeline
from incidents.timeline.incident_lifecycle import post_update
from tests.conftest import count_queries

COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
IMPACTS = {"none", "minor", "major", "critical"}


def open_incident(
    name: str, impact: str = Impact.MINOR, components=(), body: str = "Looking into it"
) -> Incident:
    return timeline.open_incident(Incident(name=name, impact=impact), body, components=components)


def resolve(incident: Incident, body: str = "fixed") -> Incident:
    post_update(incident, "resolved", body)
    incident.refresh_from_db()
    return incident


def set_status(component: Component, status: str) -> None:
    set_component_status(component, status)


@pytest.fixture
def api_group(db) -> ComponentGroup:
    return ComponentGroup.objects.create(name="API", position=0)


@pytest.fixture
def api(api_group) -> Component:
    return Component.objects.create(name="Public API", group=api_group, position=1)


# --- GET /


def test_the_status_page_says_all_systems_operational_when_everything_is_fine(client, component):
    response = client.get("/")

    assert response.status_code == 200
    assert "All Systems Operational" in response.text
    assert "Active incidents" not in response.text


def test_the_status_page_says_major_system_outage_when_a_component_is_down(client, component, api):
    set_status(component, ComponentStatus.MAJOR_OUTAGE)

    response = client.get("/")

    assert "Major System Outage" in response.text
    assert "All Systems Operational" not in response.text
    assert 'class="banner critical"' in response.text


@pytest.mark.parametrize(
    "status, banner",
    [
        (ComponentStatus.PARTIAL_OUTAGE, "Partial System Outage"),
        (ComponentStatus.DEGRADED, "Partially Degraded Service"),
        (ComponentStatus.MAINTENANCE, "Service Under Maintenance"),
    ],
)
def test_the_banner_names_the_worst_component_status(client, component, api, status, banner):
    set_status(api, status)

    assert banner in client.get("/").text


def test_an_unresolved_incident_raises_the_banner_even_with_every_component_operational(client, component):
    open_incident("Slow logins", impact=Impact.MAJOR)

    response = client.get("/")

    assert "Partial System Outage" in response.text
    assert "All Systems Operational" not in response.text


def test_the_status_page_lists_groups_components_and_their_statuses(client, component, api):
    ungrouped = Component.objects.create(name="Billing", position=5)
    set_status(api, ComponentStatus.DEGRADED)

    text = client.get("/").text

    for name in ("Message queue", "Message queue eu-west", "API", "Public API", "Billing", "Other services"):
        assert name in text
    assert '<span class="status degraded_performance">Degraded performance</span>' in text
    assert text.count('<span class="status operational">Operational</span>') == 2
    # Groups in position order; components without a group last.
    assert text.index("Public API") < text.index("Message queue eu-west") < text.index(ungrouped.name)


def test_the_status_page_shows_unresolved_incidents_with_their_latest_update(client, component):
    incident = open_incident(
        "Queue backlog in eu-west", components=[component], body="Investigating a backlog"
    )
    post_update(incident, "identified", "A consumer is stuck")

    text = client.get("/").text

    assert "Active incidents" in text
    assert "Queue backlog in eu-west" in text
    assert incident.get_absolute_url() in text
    assert "A consumer is stuck" in text
    assert "Affects Message queue eu-west" in text


def test_a_resolved_incident_is_not_shown_as_active(client, component):
    incident = open_incident("Queue backlog in eu-west", components=[component])
    resolve(incident)

    text = client.get("/").text

    assert "Queue backlog in eu-west" not in text
    assert "Active incidents" not in text
    assert "All Systems Operational" in text


def test_only_the_unresolved_of_several_incidents_are_shown(client, component):
    resolve(open_incident("Old outage"))
    open_incident("Current outage")

    text = client.get("/").text

    assert "Current outage" in text
    assert "Old outage" not in text


def test_the_status_page_without_components_still_renders(client, db):
    response = client.get("/")

    assert response.status_code == 200
    assert "All Systems Operational" in response.text
    assert "No components yet." in response.text


# --- GET /incidents/<id>/


def test_the_incident_page_shows_its_timeline_newest_first(client, component):
    incident = open_incident("Queue backlog", components=[component], body="We are investigating")
    post_update(incident, "identified", "A consumer is stuck")
    resolve(incident, "Consumers restarted; backlog drained")

    response = client.get(reverse("incident-detail", args=[incident.pk]))

    assert response.status_code == 200
    text = response.text
    assert "Queue backlog" in text
    assert "affects Message queue eu-west" in text
    positions = [
        text.index("Consumers restarted; backlog drained"),
        text.index("A consumer is stuck"),
        text.index("We are investigating"),
    ]
    assert positions == sorted(positions)
    for label in ("Resolved", "Identified", "Investigating"):
        assert f"<strong>{label}</strong>" in text


def test_an_unknown_incident_is_404(client, db):
    assert client.get("/incidents/999999/").status_code == 404


def test_incident_text_is_escaped(client, db):
    incident = open_incident("<script>alert(1)</script>", body="<b>bold</b>")

    text = client.get(incident.get_absolute_url()).text

    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;" in text
    assert "<b>bold</b>" not in text


# --- /api/v2/summary.json and status.json


def summary(client) -> dict:
    response = client.get("/api/v2/summary.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def test_summary_json_has_the_statuspage_top_level_keys(client, component):
    data = summary(client)

    assert set(data) == {"page", "components", "incidents", "scheduled_maintenances", "status"}
    assert set(data["page"]) >= {"id", "name", "url", "time_zone", "updated_at"}
    assert data["page"]["updated_at"]
    assert data["scheduled_maintenances"] == []


def test_summary_json_lists_groups_with_their_component_ids_and_components_with_their_group(
    client, component, api
):
    ungrouped = Component.objects.create(name="Billing", position=5)

    rows = summary(client)["components"]

    groups = [r for r in rows if r["group"]]
    components = [r for r in rows if not r["group"]]
    assert {g["name"] for g in groups} == {"API", "Message queue"}
    assert {c["name"] for c in components} == {"Public API", "Message queue eu-west", "Billing"}
    by_name = {r["name"]: r for r in rows}
    assert by_name["API"]["components"] == [str(api.pk)]
    assert by_name["Message queue"]["components"] == [str(component.pk)]
    assert by_name["Public API"]["group_id"] == by_name["API"]["id"]
    assert by_name["Message queue eu-west"]["group_id"] == by_name["Message queue"]["id"]
    assert by_name[ungrouped.name]["group_id"] is None
    for row in rows:
        assert row["status"] in COMPONENT_STATUSES
        assert isinstance(row["id"], str)


def test_a_groups_status_in_summary_json_is_its_worst_components(client, component, group):
    other = Component.objects.create(name="Message queue us-east", group=group, position=2)
    set_status(other, ComponentStatus.PARTIAL_OUTAGE)

    by_name = {r["name"]: r for r in summary(client)["components"]}

    assert by_name["Message queue"]["status"] == "partial_outage"
    assert by_name["Message queue us-east"]["status"] == "partial_outage"
    assert by_name["Message queue eu-west"]["status"] == "operational"


def test_summary_json_lists_only_unresolved_incidents_with_their_updates(client, component):
    active = open_incident("Queue backlog", impact=Impact.MAJOR, components=[component])
    post_update(active, "monitoring", "Backlog draining")
    resolve(open_incident("Old outage"))

    incidents = summary(client)["incidents"]

    assert [i["name"] for i in incidents] == ["Queue backlog"]
    incident = incidents[0]
    assert incident["id"] == str(active.pk)
    assert incident["status"] == "monitoring"
    assert incident["impact"] == "major"
    assert incident["monitoring_at"] is not None
    assert incident["resolved_at"] is None
    assert incident["shortlink"].endswith(active.get_absolute_url())
    assert [u["body"] for u in incident["incident_updates"]] == ["Backlog draining", "Looking into it"]
    assert [c["id"] for c in incident["components"]] == [str(component.pk)]
    for update in incident["incident_updates"]:
        assert update["status"] in INCIDENT_STATUSES
        assert update["incident_id"] == str(active.pk)


@pytest.mark.parametrize("impact", [Impact.NONE, Impact.MINOR, Impact.MAJOR, Impact.CRITICAL])
def test_incident_status_and_impact_in_summary_json_use_statuspage_enums(client, component, impact):
    open_incident("Something", impact=impact, components=[component])

    data = summary(client)

    for incident in data["incidents"]:
        assert incident["status"] in INCIDENT_STATUSES - {"resolved", "postmortem"}
        assert incident["impact"] in IMPACTS
    assert data["status"]["indicator"] in IMPACTS


@pytest.mark.parametrize(
    "status, indicator, description",
    [
        (ComponentStatus.OPERATIONAL, "none", "All Systems Operational"),
        (ComponentStatus.MAINTENANCE, "none", "Service Under Maintenance"),
        (ComponentStatus.DEGRADED, "minor", "Partially Degraded Service"),
        (ComponentStatus.PARTIAL_OUTAGE, "major", "Partial System Outage"),
        (ComponentStatus.MAJOR_OUTAGE, "critical", "Major System Outage"),
    ],
)
def test_the_page_indicator_follows_the_worst_component_status(
    client, component, status, indicator, description
):
    set_status(component, status)

    assert summary(client)["status"] == {"indicator": indicator, "description": description}


def test_status_json_has_page_and_status(client, component):
    set_status(component, ComponentStatus.MAJOR_OUTAGE)

    response = client.get("/api/v2/status.json")

    assert response.status_code == 200
    data = response.json()
    assert set(data) == {"page", "status"}
    assert set(data["page"]) >= {"id", "name", "url", "time_zone", "updated_at"}
    assert data["status"] == {"indicator": "critical", "description": "Major System Outage"}


def test_the_json_api_allows_cross_origin_reads(client, component):
    for path in ("/api/v2/summary.json", "/api/v2/status.json"):
        assert client.get(path)["Access-Control-Allow-Origin"] == "*"


def test_the_json_api_is_read_only(client, component):
    assert client.post("/api/v2/summary.json").status_code == 405
    assert client.post("/api/v2/status.json").status_code == 405


# --- Query budget: constant in the number of components, groups, incidents and updates


def build_small_page() -> None:
    group = ComponentGroup.objects.create(name="Group 0", position=0)
    first = Component.objects.create(name="Component 0-0", group=group)
    Component.objects.create(name="Component 0-1", group=group)
    open_incident("Incident 0", components=[first])


def build_large_page() -> None:
    """40 components in 8 groups, 10 unresolved incidents of 3 updates each, and some history."""
    components = []
    for g in range(1, 9):
        group = ComponentGroup.objects.create(name=f"Group {g}", position=g)
        components += [
            Component.objects.create(name=f"Component {g}-{c}", group=group, position=c) for c in range(5)
        ]
    for n in range(1, 11):
        incident = open_incident(f"Incident {n}", impact=Impact.MAJOR, components=components[n : n + 4])
        post_update(incident, "identified", f"Cause {n} found")
        post_update(incident, "monitoring", f"Fix {n} deployed")
    for n in range(5):
        resolve(open_incident(f"Old incident {n}", components=components[:3]))
    set_status(components[7], ComponentStatus.PARTIAL_OUTAGE)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/api/v2/summary.json",
        "/api/v2/status.json",
    ],
)
def test_a_public_page_uses_a_constant_number_of_queries(
    client, db, django_assert_max_num_queries, django_assert_num_queries, path
):
    build_small_page()
    small = count_queries(client, path)
    with django_assert_num_queries(small):
        client.get(path)

    build_large_page()

    with django_assert_max_num_queries(small):
        assert client.get(path).status_code == 200


def test_summary_json_of_a_large_page_lists_every_component_and_unresolved_incident(client, db):
    build_small_page()
    build_large_page()

    data = summary(client)

    assert len([r for r in data["components"] if r["group"]]) == 9
    assert len([r for r in data["components"] if not r["group"]]) == 42
    assert len(data["incidents"]) == 11
    assert sorted(len(i["incident_updates"]) for i in data["incidents"]) == [1] + [3] * 10
    assert data["status"] == {"indicator": "major", "description": "Partial System Outage"}
