"""The Django admin shows secrets, ping URLs, addresses and API tokens to Admins only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token

from incidents.models import AuditEntry, Integration, Probe, ProbeKind
from notifications.models import Subscriber
from statuspage.staff import is_admin

pytestmark = pytest.mark.django_db

PROBE_SECRET = "probe-secret-9f8e7d6c5b4a"
INTEGRATION_SECRET = "integration-secret-1a2b3c4d"
EMAIL = "alice.private@example.org"
PHONE = "+14155552671"
ROLES = ["Viewer", "Responder", "Admin"]


def staff_in(role: str):
    user = get_user_model().objects.create_user(role.lower(), password="pw-for-tests-only", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def as_staff(client):
    def login(role: str):
        user = staff_in(role)
        client.force_login(user)
        client.user = user
        return client

    return login


@pytest.fixture
def heartbeat(component) -> Probe:
    return Probe.objects.create(
        component=component, name="cache heartbeat", kind=ProbeKind.HEARTBEAT, secret=PROBE_SECRET
    )


@pytest.fixture
def integration(db) -> Integration:
    return Integration.objects.create(kind="alertmanager", name="Prod", secret=INTEGRATION_SECRET)


@pytest.fixture
def subscriber(db) -> Subscriber:
    return Subscriber.objects.create(email=EMAIL, phone=PHONE)


def secrets_of(probe: Probe) -> list[str]:
    return [PROBE_SECRET, str(probe.ping_uuid), probe.ping_uuid.hex]


# --- Probes


@pytest.mark.parametrize("role", ["Viewer", "Responder"])
def test_viewers_and_responders_see_probes_without_secret_or_ping_url(as_staff, role, heartbeat):
    client = as_staff(role)
    for path in ["/admin/incidents/probe/", f"/admin/incidents/probe/{heartbeat.pk}/change/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert "cache heartbeat" in html
        for secret in secrets_of(heartbeat):
            assert secret not in html, (path, secret)
    assert (
        "shown to Admins only"
        in client.get(f"/admin/incidents/probe/{heartbeat.pk}/change/").content.decode()
    )


def test_an_admin_sees_a_probes_secret_and_ping_url(as_staff, heartbeat, settings):
    html = as_staff("Admin").get(f"/admin/incidents/probe/{heartbeat.pk}/change/").content.decode()
    assert PROBE_SECRET in html
    assert f"{settings.SITE_URL}/ping/{heartbeat.ping_uuid}" in html


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lookup", ["secret__startswith", "ping_uuid__startswith", "secret"])
def test_nobody_can_filter_probes_on_their_credentials(as_staff, role, lookup, heartbeat):
    # The changelist's result count for ?secret__startswith=a would spell a secret out letter by letter.
    value = PROBE_SECRET[:3] if lookup.startswith("secret") else str(heartbeat.ping_uuid)[:3]
    response = as_staff(role).get("/admin/incidents/probe/", {lookup: value})
    assert response.status_code == 400
    assert PROBE_SECRET not in response.content.decode()


def test_a_responder_who_may_change_a_probe_still_cannot_read_or_overwrite_its_secret(as_staff, heartbeat):
    client = as_staff("Responder")
    client.user.user_permissions.add(*_perms("incidents", "change_probe"))
    client.user = get_user_model().objects.get(pk=client.user.pk)
    html = client.get(f"/admin/incidents/probe/{heartbeat.pk}/change/").content.decode()
    assert PROBE_SECRET not in html and 'name="secret"' not in html


# --- Integrations


@pytest.mark.parametrize("role", ["Viewer", "Responder"])
def test_viewers_and_responders_cannot_open_integrations(as_staff, role, integration):
    client = as_staff(role)
    for path in ["/admin/incidents/integration/", f"/admin/incidents/integration/{integration.pk}/change/"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert INTEGRATION_SECRET not in response.content.decode()


def test_an_admin_sees_an_integrations_secret(as_staff, integration):
    client = as_staff("Admin")
    assert client.get("/admin/incidents/integration/").status_code == 200
    html = client.get(f"/admin/incidents/integration/{integration.pk}/change/").content.decode()
    assert INTEGRATION_SECRET in html


def test_someone_granted_view_integration_alone_still_sees_no_secret(as_staff, integration):
    client = as_staff("Viewer")
    client.user.user_permissions.add(*_perms("incidents", "view_integration"))
    html = client.get(f"/admin/incidents/integration/{integration.pk}/change/").content.decode()
    assert "Prod" in html and INTEGRATION_SECRET not in html


# --- Subscribers


@pytest.mark.parametrize("role", ["Viewer", "Responder"])
def test_viewers_and_responders_cannot_open_subscribers(as_staff, role, subscriber):
    client = as_staff(role)
    for path in [
        "/admin/notifications/subscriber/",
        f"/admin/notifications/subscriber/{subscriber.pk}/change/",
        "/admin/notifications/subscriber/?q=alice",
    ]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert EMAIL not in response.content.decode() and PHONE not in response.content.decode()


def test_someone_granted_view_subscriber_alone_sees_no_address(as_staff, subscriber):
    client = as_staff("Responder")
    client.user.user_permissions.add(*_perms("notifications", "view_subscriber"))
    for path in [
        "/admin/notifications/subscriber/",
        f"/admin/notifications/subscriber/{subscriber.pk}/change/",
    ]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert EMAIL not in response.content.decode()


def test_an_admin_sees_subscribers_addresses(as_staff, subscriber):
    client = as_staff("Admin")
    assert EMAIL in client.get("/admin/notifications/subscriber/").content.decode()
    html = client.get(f"/admin/notifications/subscriber/{subscriber.pk}/change/").content.decode()
    assert EMAIL in html and PHONE in html


# --- API tokens


@pytest.fixture
def tokens(db):
    owner = get_user_model().objects.create_superuser("root", "root@example.com", "pw-for-tests-only")
    return Token.objects.create(user=owner)


@pytest.mark.parametrize("role", ["Viewer", "Responder"])
def test_viewers_and_responders_cannot_see_api_tokens(as_staff, role, tokens):
    client = as_staff(role)
    for path in ["/admin/authtoken/tokenproxy/", f"/admin/authtoken/tokenproxy/{tokens.user_id}/change/"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert tokens.key not in response.content.decode()


def test_an_admin_makes_and_sees_only_their_own_token_and_the_audit_log_keeps_no_key(as_staff, tokens):
    client = as_staff("Admin")
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": client.user.pk}, follow=True)
    own = Token.objects.get(user=client.user)
    html = client.get("/admin/authtoken/tokenproxy/").content.decode()
    assert own.key in html and tokens.key not in html, "an Admin sees their own token, not a superuser's"
    assert client.get(f"/admin/authtoken/tokenproxy/{tokens.user_id}/change/").status_code in (302, 404)
    entry = AuditEntry.objects.get(action="admin.token.added")
    stored = f"{entry.target_id} {entry.target_repr} {entry.before} {entry.after}"
    assert own.key not in stored and entry.target_repr == "admin"
    assert response.status_code == 200


def test_an_admin_cannot_make_a_token_for_someone_else(as_staff, tokens):
    client = as_staff("Admin")
    client.post("/admin/authtoken/tokenproxy/add/", {"user": tokens.user_id})
    assert Token.objects.filter(user=tokens.user).count() == 1


def test_a_superuser_sees_every_token(staff_client, tokens):
    assert tokens.key in staff_client.get("/admin/authtoken/tokenproxy/").content.decode()


# --- The audit log keeps no credential


def test_editing_a_probe_in_the_admin_stores_neither_its_secret_nor_its_ping_uuid(as_staff, heartbeat):
    client = as_staff("Admin")
    data = {
        "component": heartbeat.component_id,
        "name": "cache heartbeat",
        "kind": "heartbeat",
        "is_active": "on",
        "secret": "a-brand-new-secret-value",
        "interval_seconds": 60,
        "grace_seconds": 60,
        "url": "",
        "method": "GET",
        "expected_statuses": "200-399",
        "keyword": "",
        "host": "",
        "port": "",
        "timeout_seconds": 10,
        "degraded_latency_ms": "",
        "failure_threshold": 2,
        "success_threshold": 1,
        "quorum": 1,
        "locations-TOTAL_FORMS": "0",
        "locations-INITIAL_FORMS": "0",
        "locations-MIN_NUM_FORMS": "0",
        "locations-MAX_NUM_FORMS": "1000",
    }
    response = client.post(f"/admin/incidents/probe/{heartbeat.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="admin.probe.changed")
    stored = f"{entry.before} {entry.after}"
    for secret in [*secrets_of(heartbeat), "a-brand-new-secret-value"]:
        assert secret not in stored
    assert entry.before["secret"] == "(hidden)" and entry.after["secret"] == "(changed)"
    assert entry.after["ping_uuid"] == "(hidden)"


def test_is_admin_follows_the_roles(db):
    assert [is_admin(staff_in(role)) for role in ROLES] == [False, False, True]


def _perms(app_label: str, codename: str):
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label=app_label, codename=codename)


def test_the_admin_shows_nobody_a_staff_members_app_key_or_recovery_codes(staff_client):
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    owner = staff_in("Viewer")
    app = TOTPDevice.objects.create(user=owner, name="Authenticator app", confirmed=True)
    codes = StaticDevice.objects.create(user=owner, name="Recovery codes", confirmed=True)
    codes.token_set.create(token="abcde23456")
    assert app.key not in staff_client.get(f"/admin/otp_totp/totpdevice/{app.pk}/change/").content.decode()
    page = staff_client.get(f"/admin/otp_static/staticdevice/{codes.pk}/change/").content.decode()
    assert "abcde23456" not in page
    # A superuser can still remove them, for someone who lost their phone.
    assert staff_client.get(f"/admin/otp_totp/totpdevice/{app.pk}/delete/").status_code == 200
