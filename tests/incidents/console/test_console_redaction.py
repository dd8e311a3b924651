"""The console shows credentials to nobody and subscribers' addresses to Admins only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from incidents.models import AuditEntry, Integration, Probe, ProbeKind

pytestmark = pytest.mark.django_db

PROBE_SECRET = "probe-secret-9f8e7d6c5b4a"
INTEGRATION_SECRET = "integration-secret-1a2b3c4d"
EMAIL = "alice.private@example.org"
PHONE = "+14155552671"
ROLES = ["Viewer", "Responder", "Admin"]


def user_in(role: str):
    user = get_user_model().objects.create_user(role.lower(), password="pw-for-tests-only", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def heartbeat(component) -> Probe:
    return Probe.objects.create(
        component=component, name="cache heartbeat", kind=ProbeKind.HEARTBEAT, secret=PROBE_SECRET
    )


@pytest.fixture
def audit_trail(heartbeat):
    """Entries as the admin used to write them (credentials and addresses in full), and a subscriber's."""
    actor = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    AuditEntry.objects.create(
        actor=actor,
        action="admin.probe.changed",
        target_type="incidents.Probe",
        target_id=str(heartbeat.pk),
        target_repr=str(heartbeat),
        before={"name": "old", "secret": PROBE_SECRET, "ping_uuid": str(heartbeat.ping_uuid)},
        after={"name": "cache heartbeat", "secret": PROBE_SECRET, "ping_uuid": str(heartbeat.ping_uuid)},
    )
    integration = Integration.objects.create(kind="alertmanager", name="Prod", secret=INTEGRATION_SECRET)
    AuditEntry.objects.create(
        actor=actor,
        action="admin.integration.added",
        target_type="incidents.Integration",
        target_id=str(integration.pk),
        target_repr=str(integration),
        before=None,
        after={"name": "Prod", "secret": INTEGRATION_SECRET},
    )
    AuditEntry.objects.create(
        actor=actor,
        action="admin.subscriber.changed",
        target_type="notifications.Subscriber",
        target_id="7",
        target_repr=EMAIL,
        before={"email": "old@example.org", "phone": None, "all_components": True},
        after={"email": EMAIL, "phone": PHONE, "all_components": False},
    )
    return heartbeat


@pytest.mark.parametrize("role", ["Viewer", "Responder"])
def test_the_audit_log_hides_credentials_and_addresses_from_viewers_and_responders(client, role, audit_trail):
    client.force_login(user_in(role))
    html = client.get("/console/audit/").content.decode()
    assert "admin.probe.changed" in html and "admin.subscriber.changed" in html
    for hidden in [
        PROBE_SECRET,
        str(audit_trail.ping_uuid),
        INTEGRATION_SECRET,
        EMAIL,
        PHONE,
        "old@example.org",
    ]:
        assert hidden not in html, hidden
    assert "subscriber #7" in html and "all_components" in html


def test_the_audit_log_shows_addresses_to_admins_but_credentials_to_nobody(client, audit_trail):
    client.force_login(user_in("Admin"))
    html = client.get("/console/audit/").content.decode()
    assert EMAIL in html and PHONE in html
    for hidden in [PROBE_SECRET, str(audit_trail.ping_uuid), INTEGRATION_SECRET]:
        assert hidden not in html, hidden


@pytest.mark.parametrize("role", ROLES)
def test_the_dashboard_shows_no_probe_credential(client, role, heartbeat):
    client.force_login(user_in(role))
    html = client.get("/console/").content.decode()
    assert "cache heartbeat" in html
    assert PROBE_SECRET not in html and str(heartbeat.ping_uuid) not in html


def test_a_rotated_secret_reads_changed_in_the_audit_log(client, heartbeat):
    AuditEntry.objects.create(
        actor=user_in("Admin"),
        action="admin.probe.changed",
        target_type="incidents.Probe",
        target_id=str(heartbeat.pk),
        target_repr=str(heartbeat),
        before={"secret": "(hidden)"},
        after={"secret": "(changed)"},
    )
    client.force_login(user_in("Viewer"))
    assert "(changed)" in client.get("/console/audit/").content.decode()
