"""Changes made in the Django admin land in the audit log too, secrets hidden."""

from __future__ import annotations

import pytest

from incidents.models import AuditEntry, Component, Incident, Integration, Probe

pytestmark = pytest.mark.django_db


def test_editing_a_component_in_the_admin_is_audited_with_before_and_after(staff_client, component):
    response = staff_client.post(
        f"/admin/incidents/component/{component.pk}/change/",
        {
            "name": "Queue EU",
            "description": "",
            "group": component.group_id,
            "position": 1,
            "auto_incident": "on",
            "auto_publish": "",
        },
    )
    assert response.status_code == 302

    entry = AuditEntry.objects.get(action="admin.component.changed")
    assert entry.actor.username == "ops"
    assert entry.before["name"] == "Message queue eu-west" and entry.after["name"] == "Queue EU"


def test_deleting_in_the_admin_is_audited(staff_client, probe):
    staff_client.post(f"/admin/incidents/probe/{probe.pk}/delete/", {"post": "yes"})
    assert not Probe.objects.exists()
    entry = AuditEntry.objects.get(action="admin.probe.deleted")
    assert entry.before["name"] == "push" and entry.after is None


def test_secrets_never_reach_the_audit_log(staff_client):
    staff_client.post(
        "/admin/incidents/integration/add/",
        {"kind": "alertmanager", "name": "Prod", "secret": "s3cr3t-value"},
    )
    integration = Integration.objects.get()
    entry = AuditEntry.objects.get(action="admin.integration.added")
    assert entry.after["secret"] == "(hidden)" and "s3cr3t-value" not in str(entry.after)
    assert integration.secret == "s3cr3t-value"


def test_an_incident_declared_in_the_admin_is_audited_with_its_actor(staff_client, component):
    staff_client.post(
        "/admin/incidents/incident/add/",
        {
            "name": "Queue backlog",
            "status": "investigating",
            "impact": "major",
            "components": [component.pk],
            "message": "Looking.",
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
            "updates-MIN_NUM_FORMS": "0",
            "updates-MAX_NUM_FORMS": "1000",
        },
    )
    assert Incident.objects.filter(name="Queue backlog").exists()
    assert AuditEntry.objects.get(action="incident.declared").actor.username == "ops"


def test_the_admin_offers_no_maintenance_statuses_for_a_new_incident(staff_client, component):
    response = staff_client.post(
        "/admin/incidents/incident/add/",
        {
            "name": "Odd",
            "status": "scheduled",
            "impact": "minor",
            "components": [component.pk],
            "message": "x",
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
            "updates-MIN_NUM_FORMS": "0",
            "updates-MAX_NUM_FORMS": "1000",
        },
    )
    assert response.status_code == 200 and not Incident.objects.exists()
    assert Component.objects.count() == 1


def test_subscribers_are_managed_in_the_admin_and_audited(staff_client):
    from notifications.models import Subscriber

    response = staff_client.post(
        "/admin/notifications/subscriber/add/",
        {
            "email": "ops@example.com",
            "phone": "",
            "event_kinds": '["incident.created"]',
            "all_components": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:500]
    assert Subscriber.objects.get().email == "ops@example.com"
    assert AuditEntry.objects.filter(action="admin.subscriber.added").exists()
