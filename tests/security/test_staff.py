"""Issue 12's attacks on staff access, repeated against the app: each must fail.

1. A Viewer (or Responder) with staff access reads every page it can reach, in the console, the
   admin and the API, looking for probe and integration secrets, ping UUIDs, API tokens and
   subscribers' addresses; then uses every UUID it found to report the Cache down.
2. 40 wrong passwords in a row, then the right one, on the console and admin logins.
3. A stolen password for an Admin, when the second factor is required.
"""

from __future__ import annotations

import html as html_lib
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from incidents.models import (
    AuditEntry,
    Component,
    ComponentStatus,
    Event,
    EventKind,
    Probe,
    ProbeKind,
)
from notifications.models import Channel, Delivery, DeliveryStatus, Subscriber

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
PROBE_SECRET = "probe-secret-9f8e7d6c5b4a"
INTEGRATION_SECRET = "integration-secret-1a2b3c4d"
EMAIL = "alice.private@example.org"
PHONE = "+14155552671"
UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)
LINK = re.compile(r'href="(/(?:console|admin)/[^"#]*)"')


def staff(role: str, name: str | None = None):
    user = get_user_model().objects.create_user(name or role.lower(), password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def world(client):
    """A cache with a heartbeat, an integration, a subscriber who was sent a failed text, an API
    token, and an audit log written both by today's admin and by the one the attacker read."""
    cache = Component.objects.create(name="Cache")
    heartbeat = Probe.objects.create(component=cache, name="cache heartbeat", kind=ProbeKind.HEARTBEAT)
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    client.force_login(root)
    admin_edit_probe(client, heartbeat, secret=PROBE_SECRET)
    client.post(
        "/admin/incidents/integration/add/",
        {"kind": "alertmanager", "name": "Prod", "secret": INTEGRATION_SECRET},
    )
    subscriber = Subscriber.objects.create(email="old@example.org", email_confirmed_at=timezone.now())
    client.post(
        f"/admin/notifications/subscriber/{subscriber.pk}/change/",
        {"email": EMAIL, "phone": PHONE, "all_components": "on", "event_kinds": '["incident.created"]'},
    )
    client.logout()
    assert (
        AuditEntry.objects.filter(action__in=["admin.probe.changed", "admin.integration.added"]).count() == 2
    )
    # Written before this fix: the credentials in full.
    AuditEntry.objects.create(
        actor=root,
        action="admin.probe.changed",
        target_type="incidents.Probe",
        target_id=str(heartbeat.pk),
        target_repr=str(heartbeat),
        before={"secret": PROBE_SECRET, "ping_uuid": str(heartbeat.ping_uuid)},
        after={"secret": PROBE_SECRET, "ping_uuid": str(heartbeat.ping_uuid)},
    )
    event = Event.objects.create(kind=EventKind.INCIDENT_CREATED)
    Delivery.objects.create(
        event=event,
        subscriber=subscriber,
        channel=Channel.SMS,
        status=DeliveryStatus.FAILED,
        error=f"21211: The 'To' number {PHONE} is not a valid phone number.",
    )
    token = Token.objects.create(user=root)
    heartbeat.refresh_from_db()
    return {"cache": cache, "heartbeat": heartbeat, "token": token.key}


def admin_edit_probe(client, probe: Probe, **changes) -> None:
    data = {
        "component": probe.component_id,
        "name": probe.name,
        "kind": probe.kind,
        "is_active": "on",
        "secret": probe.secret,
        "interval_seconds": probe.interval_seconds,
        "grace_seconds": probe.grace_seconds,
        "method": "GET",
        "expected_statuses": "200-399",
        "timeout_seconds": 10,
        "failure_threshold": 2,
        "success_threshold": 1,
        "quorum": 1,
        "locations-TOTAL_FORMS": "0",
        "locations-INITIAL_FORMS": "0",
        "locations-MIN_NUM_FORMS": "0",
        "locations-MAX_NUM_FORMS": "1000",
        **changes,
    }
    response = client.post(f"/admin/incidents/probe/{probe.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]


def read_everything(client, limit: int = 400) -> dict[str, str]:
    """Every console and admin page reachable by following links, and the staff API's lists."""
    queue = ["/console/", "/admin/", "/api/v1/incidents/", "/api/v1/components/", "/api/v1/schema/"]
    pages: dict[str, str] = {}
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path in pages:
            continue
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        pages[path] = body.decode(errors="replace")
        if response.status_code != 200:
            continue
        for link in LINK.findall(pages[path]):
            link = html_lib.unescape(link)
            if not any(word in link for word in ("logout", "delete", "/add/", "password")):
                queue.append(link)
    return pages


@pytest.mark.parametrize("role", ["Viewer", "Responder"])
def test_a_viewer_or_responder_finds_no_secret_token_or_address_anywhere(client, world, role):
    client.force_login(staff(role))
    pages = read_everything(client)
    assert len(pages) >= 15, "the crawl reached the console, the admin and the API"
    assert any(path.startswith("/admin/incidents/probe/") for path in pages)
    for path, body in pages.items():
        for secret in [PROBE_SECRET, INTEGRATION_SECRET, world["token"], EMAIL, PHONE, "4155552671"]:
            assert secret not in body, (path, secret)
        assert (
            str(world["heartbeat"].ping_uuid) not in body and world["heartbeat"].ping_uuid.hex not in body
        ), path


@pytest.mark.parametrize("role", ["Viewer", "Responder"])
def test_no_uuid_a_viewer_or_responder_can_read_marks_the_cache_down(client, world, role):
    client.force_login(staff(role))
    found = {match.lower() for body in read_everything(client).values() for match in UUID.findall(body)}
    client.logout()
    for value in found:
        for _ in range(3):
            assert client.get(f"/ping/{value}/fail").status_code in (400, 404)
    world["cache"].refresh_from_db()
    assert world["cache"].status == ComponentStatus.OPERATIONAL
    assert not Event.objects.filter(kind=EventKind.COMPONENT_STATUS_CHANGED).exists()


@pytest.mark.parametrize("lookup", ["secret__startswith", "ping_uuid__startswith", "secret__gt"])
def test_a_viewer_cannot_spell_out_a_secret_through_the_admins_filters(client, world, lookup):
    client.force_login(staff("Viewer"))
    value = str(world["heartbeat"].ping_uuid)[:1] if lookup.startswith("ping") else PROBE_SECRET[:1]
    assert client.get("/admin/incidents/probe/", {lookup: value}).status_code == 400


def test_an_admin_still_sees_what_the_job_needs(client, world):
    client.force_login(staff("Admin"))
    probe_page = client.get(f"/admin/incidents/probe/{world['heartbeat'].pk}/change/").content.decode()
    assert PROBE_SECRET in probe_page and str(world["heartbeat"].ping_uuid) in probe_page
    assert EMAIL in client.get("/console/subscribers/").content.decode()


@pytest.mark.parametrize("path", ["/console/login/", "/admin/login/"])
def test_forty_wrong_passwords_then_the_right_one_does_not_log_in(client, path):
    staff("Admin", "ada")
    statuses = [
        client.post(path, {"username": "ada", "password": f"guess-{n}"}).status_code for n in range(40)
    ]
    assert statuses[:4] == [200] * 4 and set(statuses[4:]) == {429}
    response = client.post(path, {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/console/").status_code == 302


def test_a_stolen_admin_password_is_not_enough_when_the_second_factor_is_required(client, world, settings):
    settings.STAFF_2FA_REQUIRED = True
    admin = staff("Admin", "ada")
    app = TOTPDevice.objects.create(user=admin, name="Authenticator app", confirmed=True)

    response = client.post("/console/login/", {"username": "ada", "password": PASSWORD})
    assert response["Location"].startswith("/console/login/verify/")
    for path in [
        "/console/",
        "/console/subscribers/",
        "/console/audit/",
        "/admin/",
        "/admin/incidents/probe/",
    ]:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/console/login/verify/"), path
    assert client.get("/api/v1/incidents/").status_code in (401, 403)
    assert client.post("/console/security/app/", {"code": "123456"}).status_code == 302
    assert TOTPDevice.objects.filter(user=admin).count() == 1, "the thief could not add their own app"
    # Guessing the code locks the account.
    for _ in range(5):
        response = client.post("/console/login/verify/", {"code": "000000"})
    assert response.status_code == 429 and "_auth_user_id" not in client.session

    # The owner, once the pause is over, with the code from their phone.
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
    client.post("/console/login/", {"username": "ada", "password": PASSWORD})
    totp = TOTP(app.bin_key, app.step, app.t0, app.digits, app.drift)
    totp.time = time.time()
    app.refresh_from_db()
    app.throttle_reset()
    response = client.post("/console/login/verify/", {"code": f"{totp.token():06d}"})
    assert response.status_code == 302 and client.get("/admin/").status_code == 200


def test_an_admin_without_a_second_factor_cannot_skip_setting_one_up(client, settings):
    settings.STAFF_2FA_REQUIRED = True
    staff("Admin", "ada")
    client.post("/console/login/", {"username": "ada", "password": PASSWORD})
    for path in ["/console/", "/console/subscribers/", "/admin/", "/admin/incidents/probe/"]:
        assert client.get(path)["Location"].startswith("/console/login/verify/"), path
    assert client.get("/api/v1/incidents/").status_code in (401, 403)
