"""Status evaluation: confirmation, quorum, latency, maintenance, periods, events, auto-incidents."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import (
    Component,
    ComponentStatus,
    Event,
    EventKind,
    Incident,
    IncidentStatus,
    Probe,
    StatusPeriod,
)
from incidents.monitoring.component_status import Observation, evaluate_component, record_results
from incidents.timeline.incident_lifecycle import post_update
from tests.conftest import status_changes, status_of

SUMMARY_URL = "/api/v2/summary.json"
PUBLISH_URL = "/admin/incidents/incident/"


def report(probe: Probe, *results: bool, location: str = "eu-west", latency_ms: float | None = None) -> None:
    """Push results one webhook call at a time; True is a success, False a failure."""
    for ok in results:
        observation = Observation(ok=ok, observed_at=timezone.now(), latency_ms=latency_ms, location=location)
        record_results(probe.pk, [observation])


def periods(component: Component) -> list[StatusPeriod]:
    return list(StatusPeriod.objects.filter(component=component).order_by("started_at", "id"))


def auto_incidents(component: Component) -> list[Incident]:
    return list(component.incidents.filter(auto_created=True))


def make_probe(component: Component, **fields) -> Probe:
    return Probe.objects.create(component=component, name=fields.pop("name", "push"), **fields)


# --- Confirmation: N failures to go down, M successes to recover, per location


def test_a_location_goes_down_only_after_failure_threshold_consecutive_failures(component):
    probe = make_probe(component, failure_threshold=3)

    report(probe, False, False)
    assert status_of(component) == ComponentStatus.OPERATIONAL

    report(probe, False)
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE


def test_a_success_resets_the_failure_count(component):
    probe = make_probe(component, failure_threshold=3)

    report(probe, False, False, True, False, False)

    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == []


def test_failures_count_per_location_not_across_locations(component):
    probe = make_probe(component, failure_threshold=2)

    report(probe, False, location="eu-west")
    report(probe, False, location="us-east")
    report(probe, False, location="ap-south")

    assert status_of(component) == ComponentStatus.OPERATIONAL


def test_a_down_location_recovers_only_after_success_threshold_consecutive_successes(component):
    probe = make_probe(component, failure_threshold=2, success_threshold=3)
    report(probe, False, False)
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE

    report(probe, True, True)
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE

    report(probe, False, True, True)  # a failure restarts the count
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE

    report(probe, True)
    assert status_of(component) == ComponentStatus.OPERATIONAL


def test_an_outage_confirmed_and_recovered_within_one_batch_is_recorded(component):
    probe = make_probe(component, failure_threshold=2)
    start = timezone.now() - timedelta(minutes=3)
    batch = [
        Observation(ok=ok, observed_at=start + timedelta(minutes=i), location="eu-west")
        for i, ok in enumerate([False, False, True])
    ]

    record_results(probe.pk, batch)

    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == [("operational", "major_outage"), ("major_outage", "operational")]


# --- Quorum across locations


@pytest.fixture
def quorum_probe(component) -> Probe:
    """Quorum 2 of three reporting locations, each location down after two failures."""
    probe = make_probe(component, quorum=2, failure_threshold=2)
    for location in ("eu-west", "us-east", "ap-south"):
        report(probe, True, location=location)
    return probe


def test_one_location_down_of_three_with_quorum_two_is_a_partial_outage(component, quorum_probe):
    report(quorum_probe, False, False, location="eu-west")

    assert status_of(component) == ComponentStatus.PARTIAL_OUTAGE


def test_two_locations_down_of_three_with_quorum_two_is_a_major_outage(component, quorum_probe):
    report(quorum_probe, False, False, location="eu-west")
    report(quorum_probe, False, False, location="us-east")

    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE


def test_recovering_locations_step_back_through_partial_to_operational(component, quorum_probe):
    report(quorum_probe, False, False, location="eu-west")
    report(quorum_probe, False, False, location="us-east")

    report(quorum_probe, True, location="us-east")
    assert status_of(component) == ComponentStatus.PARTIAL_OUTAGE

    report(quorum_probe, True, location="eu-west")
    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == [
        ("operational", "partial_outage"),
        ("partial_outage", "major_outage"),
        ("major_outage", "partial_outage"),
        ("partial_outage", "operational"),
    ]


# --- Latency


def test_a_slow_successful_result_marks_the_component_degraded_and_a_fast_one_clears_it(component):
    probe = make_probe(component, degraded_latency_ms=500)

    report(probe, True, latency_ms=120)
    assert status_of(component) == ComponentStatus.OPERATIONAL

    report(probe, True, latency_ms=1800)
    assert status_of(component) == ComponentStatus.DEGRADED

    report(probe, True, latency_ms=140)
    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == [
        ("operational", "degraded_performance"),
        ("degraded_performance", "operational"),
    ]


def test_latency_exactly_at_the_threshold_is_not_degraded(component):
    probe = make_probe(component, degraded_latency_ms=500)

    report(probe, True, latency_ms=500)

    assert status_of(component) == ComponentStatus.OPERATIONAL


def test_without_a_latency_threshold_slow_results_stay_operational(component):
    probe = make_probe(component)

    report(probe, True, latency_ms=60_000)

    assert status_of(component) == ComponentStatus.OPERATIONAL


# --- Maintenance overrides results


def test_a_component_in_maintenance_stays_under_maintenance_whatever_the_results(component):
    probe = make_probe(component, failure_threshold=2)
    Component.objects.filter(pk=component.pk).update(in_maintenance=True)

    assert evaluate_component(component.pk) == ComponentStatus.MAINTENANCE
    assert status_of(component) == ComponentStatus.MAINTENANCE

    report(probe, False, False, False)
    assert status_of(component) == ComponentStatus.MAINTENANCE
    report(probe, True, latency_ms=10)
    assert status_of(component) == ComponentStatus.MAINTENANCE
    assert status_changes(component) == [("operational", "under_maintenance")]
    assert auto_incidents(component) == []


def test_when_maintenance_ends_the_component_takes_the_status_its_results_show(component):
    component.auto_incident = False
    component.save()
    probe = make_probe(component, failure_threshold=2)
    Component.objects.filter(pk=component.pk).update(in_maintenance=True)
    evaluate_component(component.pk)
    report(probe, False, False)

    Component.objects.filter(pk=component.pk).update(in_maintenance=False)

    assert evaluate_component(component.pk) == ComponentStatus.MAJOR_OUTAGE
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE


# --- Every change: one StatusPeriod, one event


def test_every_status_change_closes_the_open_period_and_opens_one_new_period(component):
    probe = make_probe(component, failure_threshold=2)

    report(probe, False, False)
    [down] = periods(component)
    assert (down.status, down.ended_at) == ("major_outage", None)

    report(probe, True)
    down_closed, up = periods(component)
    assert down_closed.pk == down.pk
    assert down_closed.ended_at == up.started_at
    assert (up.status, up.ended_at) == ("operational", None)
    assert StatusPeriod.objects.filter(component=component, ended_at__isnull=True).count() == 1


def test_every_status_change_writes_exactly_one_status_changed_event(component):
    probe = make_probe(component, failure_threshold=2)

    report(probe, False, False, False, False)  # confirmed once, then still down
    report(probe, True, True)  # recovered once, then still up

    events = Event.objects.filter(component=component, kind=EventKind.COMPONENT_STATUS_CHANGED)
    assert [e.data for e in events.order_by("created_at", "id")] == [
        {"from": "operational", "to": "major_outage", "automatic": True},
        {"from": "major_outage", "to": "operational", "automatic": True},
    ]
    assert len(periods(component)) == 2


def test_results_that_change_nothing_write_no_period_and_no_event(component):
    probe = make_probe(component, degraded_latency_ms=500)

    report(probe, True, True, True, latency_ms=80)
    report(probe, False)  # below the failure threshold

    assert periods(component) == []
    assert status_changes(component) == []


# --- Several probes: the worst of them


def test_a_component_with_two_probes_takes_the_worst_of_both(component):
    http = make_probe(component, name="http", failure_threshold=2, degraded_latency_ms=500)
    push = make_probe(component, name="push", failure_threshold=2)

    report(http, True, latency_ms=900)
    report(push, True)
    assert status_of(component) == ComponentStatus.DEGRADED

    report(push, False, False)
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE

    report(push, True)
    assert status_of(component) == ComponentStatus.DEGRADED

    report(http, True, latency_ms=90)
    assert status_of(component) == ComponentStatus.OPERATIONAL


def test_an_inactive_probe_does_not_count(component):
    http = make_probe(component, name="http", failure_threshold=1)
    push = make_probe(component, name="push", failure_threshold=1)
    report(http, False)
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE

    report(push, True)
    Probe.objects.filter(pk=http.pk).update(is_active=False)

    assert evaluate_component(component.pk) == ComponentStatus.OPERATIONAL
    assert status_of(component) == ComponentStatus.OPERATIONAL


# --- Auto-incidents


@pytest.fixture
def auto(component) -> Component:
    component.auto_incident = True
    component.auto_publish = True
    component.save()
    return component


def test_a_confirmed_major_outage_opens_one_published_incident_with_its_event(auto):
    probe = make_probe(auto, failure_threshold=2)

    report(probe, False, False)

    [incident] = auto_incidents(auto)
    assert incident.is_published
    assert incident.auto_created
    assert incident.status == IncidentStatus.INVESTIGATING
    assert list(incident.components.all()) == [auto]
    assert incident.updates.count() == 1
    [created] = Event.objects.filter(kind=EventKind.INCIDENT_CREATED)
    assert created.incident == incident
    assert created.incident_update == incident.updates.get()


def test_a_published_auto_incident_is_on_the_page_and_in_summary_json(client, auto):
    probe = make_probe(auto, failure_threshold=2)
    report(probe, False, False)
    [incident] = auto_incidents(auto)

    assert [i["id"] for i in client.get(SUMMARY_URL).json()["incidents"]] == [str(incident.pk)]
    assert incident.name in client.get("/").text


def test_a_partial_outage_opens_no_incident(auto, quorum_probe):
    report(quorum_probe, False, False, location="eu-west")

    assert status_of(auto) == ComponentStatus.PARTIAL_OUTAGE
    assert auto_incidents(auto) == []


@pytest.fixture
def draft(auto) -> Incident:
    """An auto-incident on a component that does not publish them at once."""
    auto.auto_publish = False
    auto.save()
    report(make_probe(auto, failure_threshold=2), False, False)
    [incident] = auto_incidents(auto)
    return incident


def test_without_auto_publish_the_incident_is_a_draft_that_notifies_nobody(draft):
    assert not draft.is_published
    assert draft.auto_created
    assert draft.status == IncidentStatus.INVESTIGATING
    assert not Event.objects.filter(kind=EventKind.INCIDENT_CREATED).exists()


def test_a_draft_incident_is_neither_in_summary_json_nor_on_the_page(client, draft):
    assert client.get(SUMMARY_URL).json()["incidents"] == []
    text = client.get("/").text
    assert draft.name not in text
    assert draft.get_absolute_url() not in text
    assert "Active incidents" not in text
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_the_admin_publish_action_publishes_a_draft_and_writes_its_created_event(staff_client, draft):
    response = staff_client.post(PUBLISH_URL, {"action": "publish", "_selected_action": [draft.pk]})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published
    [created] = Event.objects.filter(kind=EventKind.INCIDENT_CREATED)
    assert created.incident == draft
    assert created.incident_update == draft.updates.get()
    assert [i["id"] for i in staff_client.get(SUMMARY_URL).json()["incidents"]] == [str(draft.pk)]


def test_publishing_an_already_published_incident_writes_no_second_event(staff_client, draft):
    for _ in range(2):
        staff_client.post(PUBLISH_URL, {"action": "publish", "_selected_action": [draft.pk]})

    assert Event.objects.filter(kind=EventKind.INCIDENT_CREATED).count() == 1


def test_a_second_outage_while_the_incident_is_unresolved_opens_no_second_incident(auto):
    probe = make_probe(auto, failure_threshold=2)
    report(probe, False, False)
    report(probe, True)
    assert status_of(auto) == ComponentStatus.OPERATIONAL

    report(probe, False, False)

    assert status_of(auto) == ComponentStatus.MAJOR_OUTAGE
    assert len(auto_incidents(auto)) == 1
    assert Event.objects.filter(kind=EventKind.INCIDENT_CREATED).count() == 1


def test_an_outage_after_the_incident_was_resolved_opens_a_new_one(auto):
    probe = make_probe(auto, failure_threshold=2)
    report(probe, False, False)
    [first] = auto_incidents(auto)
    post_update(first, IncidentStatus.RESOLVED, "Recovered")
    report(probe, True)

    report(probe, False, False)

    assert len(auto_incidents(auto)) == 2


def test_a_component_without_auto_incident_opens_none(auto):
    auto.auto_incident = False
    auto.save()
    probe = make_probe(auto, failure_threshold=2)

    report(probe, False, False)

    assert status_of(auto) == ComponentStatus.MAJOR_OUTAGE
    assert not Incident.objects.exists()
    assert not Event.objects.filter(kind=EventKind.INCIDENT_CREATED).exists()


# --- Flapping inside one batch, and locations that fall silent


def test_a_flapping_batch_records_one_episode_not_a_change_per_flip(component):
    probe = make_probe(component, failure_threshold=2)
    start = timezone.now() - timedelta(minutes=20)
    pattern = [False, False, True] * 333 + [False]
    batch = [
        Observation(ok=ok, observed_at=start + timedelta(seconds=i), location="eu-west")
        for i, ok in enumerate(pattern)
    ]

    record_results(probe.pk, batch)

    changes = status_changes(component)
    print(f"1,000-result fail/fail/ok batch: {len(changes)} status changes recorded: {changes}")
    assert changes == [("operational", "major_outage"), ("major_outage", "operational")]
    assert status_of(component) == ComponentStatus.OPERATIONAL


def test_a_location_that_falls_silent_stops_counting_towards_the_quorum(component):
    probe = make_probe(component, quorum=1, failure_threshold=3, interval_seconds=60)
    start = timezone.now() - timedelta(minutes=30)

    def push(location: str, ok: bool, minute: int) -> None:
        record_results(
            probe.pk, [Observation(ok=ok, observed_at=start + timedelta(minutes=minute), location=location)]
        )

    for minute in range(3):
        push("ap-south", False, minute)
        push("eu-west", True, minute)
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE  # quorum 1: ap-south alone is enough

    # ap-south goes silent; eu-west keeps reporting success past the no-data horizon (5 min here).
    for minute in range(3, 12):
        push("eu-west", True, minute)

    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == [("operational", "major_outage"), ("major_outage", "operational")]


def test_a_silent_location_counts_again_once_it_reports(component):
    probe = make_probe(component, quorum=1, failure_threshold=1, interval_seconds=60)
    start = timezone.now() - timedelta(minutes=30)
    record_results(probe.pk, [Observation(ok=True, observed_at=start, location="ap-south")])
    record_results(
        probe.pk, [Observation(ok=True, observed_at=start + timedelta(minutes=20), location="eu-west")]
    )

    record_results(
        probe.pk, [Observation(ok=False, observed_at=start + timedelta(minutes=21), location="ap-south")]
    )

    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE
