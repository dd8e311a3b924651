"""The staff console: roles, one-form actions, the audit log, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents.models import (
    AuditEntry,
    Component,
    ComponentStatus,
    Event,
    EventKind,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentTemplate,
    Probe,
)
from incidents.monitoring.component_status import Observation, record_results
from incidents.timeline.incident_lifecycle import open_incident, post_update
from incidents.timeline.maintenance import run_maintenance_schedule

pytestmark = pytest.mark.django_db


def user_in(role: str | None, name: str):
    user = get_user_model().objects.create_user(name, password="pw-for-tests-only")
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def as_role(client):
    def login(role: str | None):
        client.force_login(user_in(role, (role or "nobody").lower()))
        return client

    return login


@pytest.fixture
def api_component(group) -> Component:
    return Component.objects.create(name="Public API", group=group, position=2)


def declare_data(component: Component, **extra) -> dict:
    return {
        "name": "Elevated errors",
        "status": "investigating",
        "impact": "",
        "body": "We are looking into it.",
        "publish": "on",
        f"component_{component.pk}": "major_outage",
        **extra,
    }


@pytest.fixture
def incident(component) -> Incident:
    return open_incident(
        Incident(name="Queue backlog", impact="major"), "Investigating.", components=[component]
    )


# --- Access: anonymous, no role, viewer, responder, admin


READ_PAGES = ["/console/", "/console/audit/"]


@pytest.mark.parametrize("path", READ_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/console/login/")


@pytest.mark.parametrize("path", READ_PAGES)
def test_users_without_a_role_are_forbidden(as_role, path):
    assert as_role(None).get(path).status_code == 403


@pytest.mark.parametrize("role", ["Viewer", "Responder", "Admin"])
@pytest.mark.parametrize("path", READ_PAGES)
def test_every_role_can_read_the_console(as_role, role, path, component):
    assert as_role(role).get(path).status_code == 200


def test_viewers_can_read_an_incident_but_not_change_it(as_role, incident, component):
    client = as_role("Viewer")
    assert client.get(f"/console/incidents/{incident.pk}/").status_code == 200
    assert client.get("/console/incidents/new/").status_code == 403
    response = client.post(f"/console/incidents/{incident.pk}/update/", {"status": "resolved", "body": "x"})
    assert response.status_code == 403
    assert client.post("/console/incidents/new/", declare_data(component)).status_code == 403
    assert (
        client.post(f"/console/components/{component.pk}/status/", {"status": "major_outage"}).status_code
        == 403
    )
    assert incident.updates.count() == 1
    assert Incident.objects.count() == 1
    component.refresh_from_db()
    assert component.status == ComponentStatus.OPERATIONAL


@pytest.mark.parametrize("role", ["Responder", "Admin"])
def test_responders_and_admins_can_declare(as_role, role, component):
    response = as_role(role).post("/console/incidents/new/", declare_data(component))
    assert response.status_code == 302
    assert Incident.objects.count() == 1


def test_anonymous_posts_change_nothing(client, incident, component):
    client.post(f"/console/incidents/{incident.pk}/update/", {"status": "resolved", "body": "x"})
    client.post("/console/incidents/new/", declare_data(component))
    client.post(f"/console/components/{component.pk}/status/", {"status": "major_outage"})
    assert Incident.objects.count() == 1 and incident.updates.count() == 1


# --- Declare


def test_declaring_sets_component_statuses_derives_impact_and_records_event_and_audit(as_role, component):
    client = as_role("Responder")

    response = client.post("/console/incidents/new/", declare_data(component))

    incident = Incident.objects.get()
    assert response["Location"] == f"/console/incidents/{incident.pk}/"
    assert incident.impact == "critical"  # from the component's major outage
    assert list(incident.components.all()) == [component]
    component.refresh_from_db()
    assert component.status == ComponentStatus.MAJOR_OUTAGE
    update = incident.updates.get()
    assert update.affected_components == [
        {
            "code": str(component.pk),
            "name": component.name,
            "old_status": "operational",
            "new_status": "major_outage",
        }
    ]
    assert Event.objects.filter(kind=EventKind.INCIDENT_CREATED, incident=incident).count() == 1
    entry = AuditEntry.objects.get(action="incident.declared")
    assert entry.actor.username == "responder" and entry.after["name"] == "Elevated errors"


def test_an_explicit_impact_overrides_the_derived_one(as_role, component):
    as_role("Responder").post("/console/incidents/new/", declare_data(component, impact="minor"))
    assert Incident.objects.get().impact == "minor"


def test_a_template_prefills_the_form_and_names_the_components(as_role, component, api_component):
    template = IncidentTemplate.objects.create(
        name="Errors", title="Elevated errors on {components}", body="Errors on {components}; investigating."
    )
    client = as_role("Responder")
    page = client.get(f"/console/incidents/new/?template={template.pk}").content.decode()
    assert "Elevated errors on {components}" in page

    data = declare_data(component, name=template.title, body=template.body)
    data[f"component_{api_component.pk}"] = "partial_outage"
    client.post("/console/incidents/new/", data)

    incident = Incident.objects.get()
    assert incident.name == "Elevated errors on Message queue eu-west, Public API"
    assert incident.updates.get().body == "Errors on Message queue eu-west, Public API; investigating."


def test_an_unpublished_declaration_is_a_draft_that_notifies_nobody_until_published(as_role, component):
    client = as_role("Responder")
    data = declare_data(component)
    del data["publish"]
    client.post("/console/incidents/new/", data)
    incident = Incident.objects.get()
    assert not incident.is_published and not Event.objects.filter(incident=incident).exists()
    assert client.get("/api/v2/summary.json").json()["incidents"] == []

    client.post(f"/console/incidents/{incident.pk}/publish/")

    incident.refresh_from_db()
    assert incident.is_published
    assert Event.objects.filter(kind=EventKind.INCIDENT_CREATED, incident=incident).count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"name": ""},
        {"body": ""},
        {"status": "resolved"},
        {"status": "scheduled"},
        {"impact": "catastrophic"},
        {"component_X": "on_fire"},
    ],
)
def test_a_bad_declaration_is_a_form_error_and_stores_nothing(as_role, component, change):
    data = declare_data(component)
    if "component_X" in change:
        data[f"component_{component.pk}"] = change["component_X"]
    else:
        data.update(change)

    response = as_role("Responder").post("/console/incidents/new/", data)

    assert response.status_code == 400
    assert Incident.objects.count() == 0 and Event.objects.count() == 0
    component.refresh_from_db()
    assert component.status == ComponentStatus.OPERATIONAL


# --- Update, resolve, postmortem


def test_resolving_restores_components_without_probes_to_operational(as_role, component):
    client = as_role("Responder")
    client.post("/console/incidents/new/", declare_data(component))
    incident = Incident.objects.get()

    client.post(f"/console/incidents/{incident.pk}/update/", {"status": "identified", "body": "Found it."})
    client.post(f"/console/incidents/{incident.pk}/update/", {"status": "resolved", "body": "Fixed."})

    incident.refresh_from_db()
    component.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED and incident.resolved_at
    assert component.status == ComponentStatus.OPERATIONAL
    kinds = list(Event.objects.filter(incident=incident).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["incident.created", "incident.updated", "incident.resolved"]


def test_resolving_keeps_a_component_down_while_its_probes_say_so(as_role, component):
    probe = Probe.objects.create(component=component, name="push", failure_threshold=1)
    record_results(probe.pk, [Observation(ok=False, observed_at=timezone.now())])
    incident = Incident.objects.get(auto_created=True)

    as_role("Responder").post(
        f"/console/incidents/{incident.pk}/update/", {"status": "resolved", "body": "Fixed?"}
    )

    component.refresh_from_db()
    assert component.status == ComponentStatus.MAJOR_OUTAGE


def test_an_update_without_a_message_is_a_form_error(as_role, incident):
    response = as_role("Responder").post(
        f"/console/incidents/{incident.pk}/update/", {"status": "identified"}
    )
    assert response.status_code == 400 and incident.updates.count() == 1


def test_a_postmortem_is_published_sanitised_once_resolved(as_role, incident, client):
    responder = as_role("Responder")
    early = responder.post(f"/console/incidents/{incident.pk}/postmortem/", {"body": "# Too early"})
    assert early.status_code == 400
    post_update(incident, IncidentStatus.RESOLVED, "Fixed.")

    body = "# What happened\n\nA disk filled.<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>"
    responder.post(f"/console/incidents/{incident.pk}/postmortem/", {"body": body})

    incident.refresh_from_db()
    assert incident.status == IncidentStatus.POSTMORTEM
    page = responder.get(f"/console/incidents/{incident.pk}/").content.decode()
    # The postmortem as rendered: after the form that holds its escaped source, within its section.
    rendered = page.rsplit("</textarea>", 1)[1].split("</section>", 1)[0]
    assert "<h1>What happened</h1>" in rendered
    assert "<script" not in rendered and "onerror" not in rendered


def test_the_console_shows_delivery_counts_per_update(as_role, incident):
    from notifications.models import Delivery, Subscriber

    event = Event.objects.get(incident=incident)
    for n, status in enumerate(["sent", "sent", "failed", "queued", "suppressed"]):
        subscriber = Subscriber.objects.create(email=f"s{n}@example.com", email_confirmed_at=timezone.now())
        Delivery.objects.create(event=event, subscriber=subscriber, channel="email", status=status)

    page = as_role("Viewer").get(f"/console/incidents/{incident.pk}/").content.decode()

    assert "1 queued, 2 sent, 1 failed, 1 suppressed" in page


# --- Component status, maintenance, audit


def test_a_responder_sets_a_component_status_and_it_is_audited(as_role, component):
    as_role("Responder").post(
        f"/console/components/{component.pk}/status/", {"status": "degraded_performance"}
    )
    component.refresh_from_db()
    assert component.status == ComponentStatus.DEGRADED
    entry = AuditEntry.objects.get(action="component.status")
    assert entry.before == {"status": "operational"} and entry.after == {"status": "degraded_performance"}


def test_a_bad_component_status_changes_nothing(as_role, component):
    as_role("Responder").post(f"/console/components/{component.pk}/status/", {"status": "exploded"})
    component.refresh_from_db()
    assert component.status == ComponentStatus.OPERATIONAL and not AuditEntry.objects.exists()


def maintenance_data(component, start, end) -> dict:
    fmt = "%Y-%m-%dT%H:%M"
    return {
        "name": "Database upgrade",
        "body": "Upgrading PostgreSQL.",
        "components": [component.pk],
        "scheduled_for": start.strftime(fmt),
        "scheduled_until": end.strftime(fmt),
        "auto_transition": "on",
    }


def test_maintenance_starts_and_completes_on_schedule(as_role, component):
    now = timezone.now()
    as_role("Responder").post(
        "/console/maintenance/new/",
        maintenance_data(component, now + timedelta(hours=1), now + timedelta(hours=2)),
    )
    maintenance = Incident.objects.get(kind=IncidentKind.MAINTENANCE)
    assert maintenance.status == IncidentStatus.SCHEDULED

    assert run_maintenance_schedule(now) == {"started": 0, "completed": 0}
    run_maintenance_schedule(now + timedelta(hours=1, minutes=1))
    component.refresh_from_db()
    assert component.status == ComponentStatus.MAINTENANCE and component.in_maintenance

    run_maintenance_schedule(now + timedelta(hours=2, minutes=1))
    maintenance.refresh_from_db()
    component.refresh_from_db()
    assert maintenance.status == IncidentStatus.COMPLETED
    assert component.status == ComponentStatus.OPERATIONAL and not component.in_maintenance
    kinds = list(Event.objects.filter(incident=maintenance).order_by("pk").values_list("kind", flat=True))
    assert kinds == ["maintenance.scheduled", "maintenance.started", "maintenance.completed"]


def test_probes_cannot_mark_a_component_down_during_maintenance(component):
    probe = Probe.objects.create(component=component, name="push", failure_threshold=1)
    now = timezone.now()
    maintenance = open_incident(
        Incident(
            kind=IncidentKind.MAINTENANCE,
            name="Upgrade",
            status=IncidentStatus.SCHEDULED,
            impact="none",
            scheduled_for=now - timedelta(minutes=1),
            scheduled_until=now + timedelta(hours=1),
        ),
        "Upgrading.",
        components=[component],
    )
    run_maintenance_schedule(now)

    record_results(probe.pk, [Observation(ok=False, observed_at=now)])

    component.refresh_from_db()
    assert component.status == ComponentStatus.MAINTENANCE
    assert not Incident.objects.filter(auto_created=True).exists()
    post_update(maintenance, IncidentStatus.COMPLETED, "Done.")
    component.refresh_from_db()
    assert component.status == ComponentStatus.MAJOR_OUTAGE  # the probe's verdict, once maintenance ends


@pytest.mark.parametrize(
    "when",
    [(-2, -1), (2, 1), (1, 1)],
    ids=["in the past", "ends before it starts", "zero length"],
)
def test_a_bad_maintenance_window_is_a_form_error(as_role, component, when):
    now = timezone.now()
    data = maintenance_data(component, now + timedelta(hours=when[0]), now + timedelta(hours=when[1]))
    response = as_role("Responder").post("/console/maintenance/new/", data)
    assert response.status_code == 400 and not Incident.objects.exists()


def test_the_audit_log_lists_staff_changes_with_before_and_after(as_role, component):
    client = as_role("Responder")
    client.post("/console/incidents/new/", declare_data(component))
    incident = Incident.objects.get()
    client.post(f"/console/incidents/{incident.pk}/update/", {"status": "resolved", "body": "Fixed."})

    page = client.get("/console/audit/").content.decode()

    assert "incident.declared" in page and "incident.updated" in page
    updated = AuditEntry.objects.get(action="incident.updated")
    assert updated.before["status"] == "investigating" and updated.after["status"] == "resolved"
    assert updated.actor.username == "responder"


def test_a_location_that_stopped_reporting_shows_as_no_data(as_role, component):
    probe = Probe.objects.create(component=component, name="push", interval_seconds=60)
    start = timezone.now() - timedelta(minutes=30)
    record_results(probe.pk, [Observation(ok=False, observed_at=start, location="ap-south")])
    record_results(
        probe.pk, [Observation(ok=True, observed_at=start + timedelta(minutes=20), location="eu-west")]
    )

    page = as_role("Viewer").get("/console/").content.decode()

    assert "ap-south: <span" in page and "no data</span>" in page
    assert "eu-west: up" in page


@pytest.mark.parametrize("path", ["/console/", "/console/audit/", "/console/incidents/new/"])
def test_console_pages_are_never_cached(as_role, path):
    response = as_role("Admin").get(path)

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
