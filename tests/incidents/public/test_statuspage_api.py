"""The Atlassian Statuspage v2-compatible JSON: keys, enums and which incidents each endpoint lists."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
)
from incidents.public.page_routing import page_index
from incidents.timeline import incident_lifecycle as timeline
from incidents.timeline.incident_lifecycle import post_update
from tests.conftest import count_queries

PAGE_KEYS = {"id", "name", "url", "time_zone", "updated_at"}
COMPONENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "position",
    "description",
    "showcase",
    "start_date",
    "group_id",
    "page_id",
    "group",
    "only_show_if_degraded",
}
INCIDENT_KEYS = {
    "id",
    "name",
    "status",
    "created_at",
    "updated_at",
    "monitoring_at",
    "resolved_at",
    "impact",
    "shortlink",
    "started_at",
    "page_id",
    "incident_updates",
    "components",
}
MAINTENANCE_KEYS = INCIDENT_KEYS | {"scheduled_for", "scheduled_until"}
UPDATE_KEYS = {
    "id",
    "status",
    "body",
    "incident_id",
    "created_at",
    "updated_at",
    "display_at",
    "affected_components",
    "deliver_notifications",
    "custom_tweet",
    "tweet_id",
}
AFFECTED_KEYS = {"code", "name", "old_status", "new_status"}
COMPONENT_STATUSES = {
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
}
INCIDENT_STATUSES = {"investigating", "identified", "monitoring", "resolved", "postmortem"}
MAINTENANCE_STATUSES = {"scheduled", "in_progress", "verifying", "completed"}
IMPACTS = {"none", "minor", "major", "critical"}

ENDPOINTS = {
    "/api/v2/summary.json": {"page", "components", "incidents", "scheduled_maintenances", "status"},
    "/api/v2/status.json": {"page", "status"},
    "/api/v2/components.json": {"page", "components"},
    "/api/v2/incidents.json": {"page", "incidents"},
    "/api/v2/incidents/unresolved.json": {"page", "incidents"},
    "/api/v2/scheduled-maintenances.json": {"page", "scheduled_maintenances"},
    "/api/v2/scheduled-maintenances/upcoming.json": {"page", "scheduled_maintenances"},
    "/api/v2/scheduled-maintenances/active.json": {"page", "scheduled_maintenances"},
}


def open_incident(
    name: str, *, impact: str = Impact.MINOR, components=(), published: bool = True
) -> Incident:
    incident = Incident(name=name, impact=impact, is_published=published)
    return timeline.open_incident(incident, "Looking into it", components=components)


def schedule_maintenance(
    name: str, *, starts_in: timedelta = timedelta(days=1), components=(), published: bool = True
) -> Incident:
    start = timezone.now() + starts_in
    maintenance = Incident(
        kind=IncidentKind.MAINTENANCE,
        name=name,
        status=IncidentStatus.SCHEDULED,
        impact=Impact.NONE,
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        is_published=published,
    )
    return timeline.open_incident(maintenance, "We will upgrade the brokers.", components=components)


def move(incident: Incident, status: str, body: str = "Moving on", **kwargs) -> Incident:
    post_update(incident, status, body, **kwargs)
    incident.refresh_from_db()
    return incident


def get(client, path: str) -> dict:
    response = client.get(path)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    return response.json()


def names(rows: list[dict]) -> list[str]:
    return [row["name"] for row in rows]


@pytest.fixture
def all_kinds(component):
    """One published incident or maintenance in each status, plus drafts of both kinds."""
    items = {}
    for status in ("investigating", "identified", "monitoring", "resolved", "postmortem"):
        incident = open_incident(f"Incident {status}", components=[component])
        if status != "investigating":
            incident = move(incident, status)
        items[status] = incident
    for status in ("scheduled", "in_progress", "verifying", "completed"):
        maintenance = schedule_maintenance(f"Maintenance {status}", components=[component])
        if status != "scheduled":
            maintenance = move(maintenance, status)
        items[status] = maintenance
    items["draft incident"] = open_incident("Draft incident", published=False)
    items["draft maintenance"] = schedule_maintenance("Draft maintenance", published=False)
    return items


# --- Shape: every endpoint


@pytest.mark.parametrize("path, keys", ENDPOINTS.items())
def test_every_endpoint_answers_with_the_statuspage_top_level_keys_and_page(client, all_kinds, path, keys):
    data = get(client, path)

    assert set(data) == keys
    assert set(data["page"]) == PAGE_KEYS
    assert data["page"]["updated_at"].endswith("Z")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_allows_cross_origin_reads_and_refuses_writes(client, db, path):
    assert client.get(path)["Access-Control-Allow-Origin"] == "*"
    assert client.post(path).status_code == 405
    assert client.delete(path).status_code == 405


@pytest.mark.parametrize("path", ENDPOINTS)
def test_drafts_never_appear_in_any_endpoint(client, all_kinds, path):
    text = json.dumps(get(client, path))

    assert "Draft incident" not in text
    assert "Draft maintenance" not in text
    for draft in (all_kinds["draft incident"], all_kinds["draft maintenance"]):
        assert f'"incident_id": "{draft.pk}"' not in text
        assert draft.get_absolute_url() not in text


def assert_incident_shape(incident: dict, statuses: set[str]) -> None:
    assert set(incident) == INCIDENT_KEYS
    assert incident["status"] in statuses
    assert incident["impact"] in IMPACTS
    assert incident["page_id"] == "statuspage"
    assert isinstance(incident["id"], str)
    for update in incident["incident_updates"]:
        assert set(update) == UPDATE_KEYS
        assert update["status"] in statuses
        assert update["incident_id"] == incident["id"]
    for component in incident["components"]:
        assert set(component) == COMPONENT_KEYS
        assert component["status"] in COMPONENT_STATUSES


def assert_maintenance_shape(maintenance: dict) -> None:
    assert set(maintenance) == MAINTENANCE_KEYS
    assert maintenance["status"] in MAINTENANCE_STATUSES
    assert maintenance["impact"] == "maintenance"
    assert maintenance["scheduled_for"].endswith("Z")
    assert maintenance["scheduled_until"] > maintenance["scheduled_for"]
    for update in maintenance["incident_updates"]:
        assert set(update) == UPDATE_KEYS
        assert update["status"] in MAINTENANCE_STATUSES
        assert update["incident_id"] == maintenance["id"]


# --- /api/v2/components.json


def test_components_json_lists_groups_and_components_like_the_summary(client, component):
    ComponentGroup.objects.create(name="API", position=0)
    Component.objects.create(name="Billing", position=5)

    data = get(client, "/api/v2/components.json")

    assert data["components"] == get(client, "/api/v2/summary.json")["components"]
    for row in data["components"]:
        expected = COMPONENT_KEYS | {"components"} if row["group"] else COMPONENT_KEYS
        assert set(row) == expected
        assert row["status"] in COMPONENT_STATUSES


# --- /api/v2/incidents.json and incidents/unresolved.json


def test_incidents_json_lists_published_incidents_of_any_status_newest_first_without_maintenance(
    client, all_kinds
):
    incidents = get(client, "/api/v2/incidents.json")["incidents"]

    assert names(incidents) == [
        "Incident postmortem",
        "Incident resolved",
        "Incident monitoring",
        "Incident identified",
        "Incident investigating",
    ]
    for incident in incidents:
        assert_incident_shape(incident, INCIDENT_STATUSES)
    resolved = incidents[1]
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None
    assert [u["status"] for u in resolved["incident_updates"]] == ["resolved", "investigating"]


def test_incidents_json_returns_only_the_50_most_recent(client, db):
    now = timezone.now()
    incidents = Incident.objects.bulk_create([Incident(name=f"Incident {n}") for n in range(55)])
    for n, incident in enumerate(incidents):
        Incident.objects.filter(pk=incident.pk).update(created_at=now - timedelta(hours=n))

    listed = get(client, "/api/v2/incidents.json")["incidents"]

    assert len(listed) == 50
    assert names(listed) == [f"Incident {n}" for n in range(50)]


def test_unresolved_json_lists_only_investigating_identified_and_monitoring_incidents(client, all_kinds):
    incidents = get(client, "/api/v2/incidents/unresolved.json")["incidents"]

    assert sorted(i["status"] for i in incidents) == ["identified", "investigating", "monitoring"]
    assert names(incidents) == ["Incident monitoring", "Incident identified", "Incident investigating"]
    for incident in incidents:
        assert_incident_shape(incident, INCIDENT_STATUSES - {"resolved", "postmortem"})
        assert incident["resolved_at"] is None


def test_an_update_carries_its_affected_components_in_statuspage_shape_or_null(client, component):
    incident = open_incident("Queue backlog", components=[component])
    move(
        incident, "identified", "Broker down", component_statuses={component.pk: ComponentStatus.MAJOR_OUTAGE}
    )

    updates = get(client, "/api/v2/incidents/unresolved.json")["incidents"][0]["incident_updates"]

    assert updates[0]["affected_components"] == [
        {
            "code": str(component.pk),
            "name": "Message queue eu-west",
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    assert updates[1]["affected_components"] is None
    for row in updates[0]["affected_components"]:
        assert set(row) == AFFECTED_KEYS
        assert row["old_status"] in COMPONENT_STATUSES
        assert row["new_status"] in COMPONENT_STATUSES


# --- Scheduled maintenance


def test_scheduled_maintenances_json_lists_published_maintenance_in_every_status(client, all_kinds):
    maintenances = get(client, "/api/v2/scheduled-maintenances.json")["scheduled_maintenances"]

    assert sorted(m["status"] for m in maintenances) == sorted(MAINTENANCE_STATUSES)
    assert not [m for m in maintenances if m["name"].startswith("Incident")]
    for maintenance in maintenances:
        assert_maintenance_shape(maintenance)


def test_scheduled_maintenances_json_returns_the_50_with_the_latest_windows(client, db):
    now = timezone.now()
    Incident.objects.bulk_create(
        [
            Incident(
                kind=IncidentKind.MAINTENANCE,
                name=f"Maintenance {n}",
                status=IncidentStatus.COMPLETED,
                impact=Impact.NONE,
                scheduled_for=now - timedelta(days=n),
                scheduled_until=now - timedelta(days=n) + timedelta(hours=1),
            )
            for n in range(55)
        ]
    )

    listed = get(client, "/api/v2/scheduled-maintenances.json")["scheduled_maintenances"]

    assert names(listed) == [f"Maintenance {n}" for n in range(50)]


def test_upcoming_json_lists_only_scheduled_maintenance_soonest_first(client, all_kinds):
    later = schedule_maintenance("Later maintenance", starts_in=timedelta(days=30))

    maintenances = get(client, "/api/v2/scheduled-maintenances/upcoming.json")["scheduled_maintenances"]

    assert names(maintenances) == ["Maintenance scheduled", "Later maintenance"]
    assert {m["status"] for m in maintenances} == {"scheduled"}
    assert maintenances[1]["scheduled_for"] == later.scheduled_for.isoformat().replace("+00:00", "Z")
    for maintenance in maintenances:
        assert_maintenance_shape(maintenance)


def test_active_json_lists_only_maintenance_in_progress_or_verifying(client, all_kinds):
    maintenances = get(client, "/api/v2/scheduled-maintenances/active.json")["scheduled_maintenances"]

    assert sorted(m["status"] for m in maintenances) == ["in_progress", "verifying"]
    for maintenance in maintenances:
        assert_maintenance_shape(maintenance)


def test_summary_lists_upcoming_and_active_maintenance_but_not_completed(client, all_kinds):
    data = get(client, "/api/v2/summary.json")

    assert sorted(m["status"] for m in data["scheduled_maintenances"]) == [
        "in_progress",
        "scheduled",
        "verifying",
    ]
    for maintenance in data["scheduled_maintenances"]:
        assert_maintenance_shape(maintenance)
    assert sorted(i["status"] for i in data["incidents"]) == ["identified", "investigating", "monitoring"]


def test_a_maintenance_moves_from_upcoming_to_active_to_the_full_list_only(client, component):
    maintenance = schedule_maintenance("Broker upgrade", components=[component])

    def listed() -> dict[str, list[str]]:
        return {
            kind: names(get(client, f"/api/v2/scheduled-maintenances/{kind}.json")["scheduled_maintenances"])
            for kind in ("upcoming", "active")
        }

    assert listed() == {"upcoming": ["Broker upgrade"], "active": []}
    move(maintenance, "in_progress")
    assert listed() == {"upcoming": [], "active": ["Broker upgrade"]}
    move(maintenance, "completed")
    assert listed() == {"upcoming": [], "active": []}
    everything = get(client, "/api/v2/scheduled-maintenances.json")["scheduled_maintenances"]
    assert [(m["name"], m["status"]) for m in everything] == [("Broker upgrade", "completed")]
    assert everything[0]["resolved_at"] is not None


# --- The page indicator


def test_maintenance_in_progress_reads_as_service_under_maintenance_with_indicator_none(client, db):
    maintenance = schedule_maintenance("Database upgrade")
    assert get(client, "/api/v2/status.json")["status"]["description"] == "All Systems Operational"

    move(maintenance, "in_progress")

    assert get(client, "/api/v2/status.json")["status"] == {
        "indicator": "none",
        "description": "Service Under Maintenance",
    }


def test_maintenance_on_a_component_sets_it_under_maintenance_and_the_indicator_stays_in_our_enum(
    client, component
):
    move(schedule_maintenance("Broker upgrade", components=[component]), "in_progress")

    data = get(client, "/api/v2/summary.json")

    assert data["status"] == {"indicator": "none", "description": "Service Under Maintenance"}
    assert {c["name"]: c["status"] for c in data["components"]}[component.name] == "under_maintenance"


def test_an_outage_during_maintenance_outranks_it(client, component):
    move(schedule_maintenance("Database upgrade"), "in_progress")
    open_incident("Logins failing", impact=Impact.CRITICAL)

    assert get(client, "/api/v2/status.json")["status"] == {
        "indicator": "critical",
        "description": "Major System Outage",
    }


# --- page.updated_at: the status page reloads itself when it changes


def test_page_updated_at_changes_when_an_older_of_two_incidents_is_resolved(client, db):
    older = open_incident("Older")
    open_incident("Newer")
    before = get(client, "/api/v2/status.json")["page"]["updated_at"]

    move(older, "resolved")

    assert get(client, "/api/v2/status.json")["page"]["updated_at"] > before


def test_a_new_draft_does_not_change_page_updated_at(client, component):
    before = get(client, "/api/v2/status.json")["page"]["updated_at"]

    open_incident("Not yet public", published=False)

    assert get(client, "/api/v2/status.json")["page"]["updated_at"] == before


def test_an_empty_page_reports_a_stable_updated_at_so_polling_pages_do_not_reload(client, db):
    first = get(client, "/api/v2/status.json")["page"]["updated_at"]

    assert get(client, "/api/v2/status.json")["page"]["updated_at"] == first
    assert get(client, "/api/v2/incidents.json")["page"]["updated_at"] == first


def test_every_endpoint_reports_the_same_page_updated_at(client, all_kinds):
    stamps = {path: get(client, path)["page"]["updated_at"] for path in ENDPOINTS}

    assert len(set(stamps.values())) == 1, stamps


# --- Query budget: constant in the number of incidents, updates and components


def build(size: int) -> None:
    """size groups of 3 components, and size incidents and maintenances of each status with 3 updates."""
    components = []
    for g in range(size):
        group = ComponentGroup.objects.create(name=f"Group {size}-{g}", position=g)
        components += [Component.objects.create(name=f"C {size}-{g}-{c}", group=group) for c in range(3)]
    for n in range(size):
        for status in ("identified", "monitoring", "resolved"):
            incident = open_incident(f"I {size}-{n}-{status}", components=components[n : n + 2])
            move(incident, status, component_statuses={components[n].pk: ComponentStatus.DEGRADED})
            move(incident, status)
        for status in ("scheduled", "in_progress", "completed"):
            maintenance = schedule_maintenance(f"M {size}-{n}-{status}", components=components[n : n + 2])
            if status != "scheduled":
                move(maintenance, status)
        open_incident(f"Draft {size}-{n}", published=False)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_an_endpoint_uses_a_constant_number_of_queries(client, db, django_assert_max_num_queries, path):
    build(1)
    small = count_queries(client, path)

    build(8)

    with django_assert_max_num_queries(small):
        data = get(client, path)
    assert len(json.dumps(data)) > 0


def test_status_json_is_cheap_enough_to_poll(client, db, django_assert_max_num_queries):
    build(2)
    page_index()  # the pages are known before the first request

    with django_assert_max_num_queries(3):
        get(client, "/api/v2/status.json")
