"""Private pages: each access rule lets in its visitors, and nobody else sees anything of the page."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from incidents.models import Component, Incident, PageAccess, PageComponent, PageHost, StatusPage
from incidents.public import snapshot_store, snapshots
from incidents.public.access_keys import rotate_share_key, set_page_password, share_link
from incidents.public.snapshot_routes import SNAPSHOT_ROUTES
from incidents.timeline.incident_lifecycle import open_incident

pytestmark = pytest.mark.django_db

HOST = "private.example.test"
PUBLIC = "localhost"
SECRETS = ("Secret ledger", "Ledger drift")
PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def hosts(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    settings.NUM_PROXIES = 0


@pytest.fixture
def snapshots_on(settings, monkeypatch):
    """Snapshots served from the real cache, none left over from another test (as test_snapshots.py)."""
    settings.SNAPSHOTS_ENABLED = True
    monkeypatch.setattr(snapshot_store, "_cache_down_until", 0.0)
    monkeypatch.setattr(snapshot_store, "_local", {})
    forget_snapshots()
    yield
    forget_snapshots()


def forget_snapshots() -> None:
    prefixes = ("/", "/p/internal/", "/p/main/")
    paths = [prefix + route.route for prefix in prefixes for route in SNAPSHOT_ROUTES]
    keys = [snapshots.key_of(StatusPage(slug=slug), path) for slug in ("internal", "main") for path in paths]
    cache.delete_many(
        [snapshot_store.body_key(k) for k in keys] + [snapshot_store.version_key(k) for k in keys]
    )


def fresh_ip() -> str:
    n = uuid.uuid4().int
    return f"198.18.{n % 250}.{(n >> 8) % 250 + 1}"


def make_page(access: str, **fields) -> tuple[StatusPage, Component, Incident]:
    """A private page with its own host, one component no other page shows and an open incident."""
    page = StatusPage.objects.create(name="Acme internal", slug="internal", access=access, **fields)
    PageHost.objects.create(page=page, host=HOST)
    component = Component.objects.create(name=SECRETS[0])
    PageComponent.objects.filter(component=component).delete()
    PageComponent.objects.create(page=page, component=component)
    incident = open_incident(Incident(name=SECRETS[1], impact="major"), "Looking.", [component])
    return page, component, incident


def routes(component: Component, incident: Incident) -> list[str]:
    return [
        *(r.route for r in SNAPSHOT_ROUTES),
        "history/",
        "history.atom",
        "history.rss",
        f"incidents/{incident.pk}/",
        f"components/{component.pk}/",
        "subscribe/",
    ]


def assert_shut_out(client: Client, component: Component, incident: Incident, **extra) -> None:
    """Nothing of the private page through any of its addresses, nor through the public page."""
    for route in routes(component, incident):
        for host, path in ((HOST, f"/{route}"), (PUBLIC, f"/p/internal/{route}")):
            response = client.get(path, HTTP_HOST=host, **extra)
            body = response.content.decode()
            assert response.status_code in (401, 403, 404), (path, response.status_code)
            assert not any(secret in body for secret in SECRETS), path
            assert response["X-Robots-Tag"] == "noindex"
            assert response["Cache-Control"] == "private, no-cache"
            if not path.endswith("/") or response.status_code == 404:
                assert "Acme internal" not in body and response.status_code == 404, path
        on_public = client.get(f"/{route}", HTTP_HOST=PUBLIC, **extra)
        assert not any(secret in on_public.content.decode() for secret in SECRETS), route
    for route in (f"incidents/{incident.pk}/", f"components/{component.pk}/"):
        assert client.get(f"/{route}", HTTP_HOST=PUBLIC, **extra).status_code == 404


def assert_let_in(client: Client, **extra) -> None:
    for host, prefix in ((HOST, "/"), (PUBLIC, "/p/internal/")):
        page = client.get(prefix, HTTP_HOST=host, **extra)
        assert page.status_code == 200 and SECRETS[0] in page.content.decode()
        assert page["X-Robots-Tag"] == "noindex" and page["Cache-Control"] == "private, no-cache"
        summary = client.get(f"{prefix}api/v2/summary.json", HTTP_HOST=host, **extra)
        assert [c["name"] for c in summary.json()["components"]] == [SECRETS[0]]
        assert [i["name"] for i in summary.json()["incidents"]] == [SECRETS[1]]


def sign_in_with_password(client: Client) -> None:
    data = {"password": PASSWORD, "next": "/history/"}
    response = client.post("/access/", data, HTTP_HOST=HOST, REMOTE_ADDR=fresh_ip())
    assert response.status_code == 302 and response["Location"] == "/history/"


# --- Password and share links


def test_password_page_asks_strangers_for_the_password_and_shows_them_nothing(client, snapshots_on, settings):
    page, component, incident = make_page(PageAccess.PASSWORD)
    set_page_password(page, PASSWORD)
    insider = Client()
    sign_in_with_password(insider)
    assert_let_in(insider)  # and warms the snapshots a stranger must not get

    gate = client.get("/", HTTP_HOST=HOST)
    assert gate.status_code == 401 and 'name="password"' in gate.content.decode()
    assert "incident-banner" not in gate.content.decode()
    assert_shut_out(client, component, incident)
    private_files = list(Path(settings.SNAPSHOT_PRIVATE_DIR).rglob("*"))
    assert any(f.is_file() for f in private_files)
    assert not any("internal" in str(f) or HOST in str(f) for f in Path(settings.SNAPSHOT_DIR).rglob("*"))


def test_a_wrong_password_is_refused_and_a_new_password_signs_everyone_out(client, settings):
    settings.PAGE_ACCESS_PASSWORDS_PER_IP = (2, 900)
    page, component, incident = make_page(PageAccess.PASSWORD)
    set_page_password(page, PASSWORD)
    ip = fresh_ip()
    tries = [client.post("/access/", {"password": "nope"}, HTTP_HOST=HOST, REMOTE_ADDR=ip) for _ in range(3)]
    assert [t.status_code for t in tries] == [401, 401, 429]
    assert "That password is not right." in tries[0].content.decode()
    sign_in_with_password(client)
    assert client.get("/", HTTP_HOST=HOST).status_code == 200

    set_page_password(StatusPage.objects.get(pk=page.pk), "another one entirely")
    assert client.get("/", HTTP_HOST=HOST).status_code == 401


def test_next_never_leaves_the_page(client):
    page, *_ = make_page(PageAccess.PASSWORD)
    set_page_password(page, PASSWORD)
    for target in ("https://evil.example/", "//evil.example/", "/console/", "/p/other/"):
        data = {"password": PASSWORD, "next": target}
        response = client.post("/access/", data, HTTP_HOST=HOST, REMOTE_ADDR=fresh_ip())
        assert response["Location"] == "/", target
    data = {"password": PASSWORD, "next": "/history/"}
    via_slug = client.post("/p/internal/access/", data, REMOTE_ADDR=fresh_ip())
    assert via_slug["Location"] == "/p/internal/history/"


def test_the_share_link_opens_the_json_and_feeds_without_a_cookie_until_the_key_rotates(client):
    page, component, incident = make_page(PageAccess.PASSWORD)
    link = urlsplit(share_link(page))
    assert link.netloc == HOST
    token = parse_qs(link.query)["access"][0]
    for route in ("api/v2/summary.json", "history.atom", "history.rss", f"incidents/{incident.pk}/"):
        response = Client().get(f"/{route}", {"access": token}, HTTP_HOST=HOST)
        assert response.status_code == 200 and SECRETS[1] in response.content.decode(), route
    browser = Client()
    assert browser.get("/", {"access": token}, HTTP_HOST=HOST).status_code == 200
    assert browser.get("/history/", HTTP_HOST=HOST).status_code == 200  # the session keeps it
    assert Client().get("/api/v2/summary.json", {"access": token[:-2]}, HTTP_HOST=HOST).status_code == 404

    rotate_share_key(StatusPage.objects.get(pk=page.pk))
    assert Client().get("/api/v2/summary.json", {"access": token}, HTTP_HOST=HOST).status_code == 404
    assert browser.get("/history/", HTTP_HOST=HOST).status_code == 401
    assert_shut_out(Client(), component, incident, QUERY_STRING=f"access={token}")


# --- Network and staff


def test_a_network_page_opens_only_from_its_networks(client, snapshots_on):
    page, component, incident = make_page(PageAccess.NETWORK, allowed_networks="10.1.0.0/16\n2001:db8::/32")
    assert_let_in(client, REMOTE_ADDR="10.1.2.3")
    assert_let_in(client, REMOTE_ADDR="2001:db8::7")
    assert_shut_out(client, component, incident, REMOTE_ADDR="192.0.2.1")
    assert client.get("/", HTTP_HOST=HOST, REMOTE_ADDR="192.0.2.1").content == b"Not found.\n"


def test_a_staff_page_opens_to_staff_it_names_and_sends_others_to_sign_in(client, snapshots_on):
    page, component, incident = make_page(PageAccess.STAFF)
    users = get_user_model().objects
    page.access = PageAccess.PASSWORD  # staff preview every private page, whatever its rule
    page.save()
    staff_client = Client()
    staff_client.force_login(users.create_user("lead", "l@example.com", "pw", is_staff=True))
    assert_let_in(staff_client)
    page.access = PageAccess.STAFF
    page.save()
    ops = users.create_user("ops", "ops@example.com", "pw-for-tests-only", is_staff=True)
    insider = Client()
    insider.force_login(ops)
    assert_let_in(insider)

    gate = client.get("/history/", HTTP_HOST=HOST)
    assert gate.status_code == 403 and 'href="/console/login/?next=%2Fhistory%2F"' in gate.content.decode()
    assert client.get("/p/internal/").status_code == 403
    assert 'href="/console/login/?next=%2Fp%2Finternal%2F"' in client.get("/p/internal/").content.decode()
    assert_shut_out(client, component, incident)
    customer = users.create_user("customer", "c@example.com", "pw-for-tests-only")
    client.force_login(customer)
    assert_shut_out(client, component, incident)

    other = users.create_user("other", "o@example.com", "pw-for-tests-only", is_staff=True)
    page.staff.add(other)
    assert_shut_out(insider, component, incident)  # the page names its staff, and not ops


def test_unsubscribing_and_the_console_pass_the_gate_but_confirming_and_managing_do_not(client):
    make_page(PageAccess.PASSWORD)
    for path in ("/unsubscribe/not-a-token/", "/p/internal/unsubscribe/x/"):
        response = client.get(path, HTTP_HOST=HOST)
        assert response.status_code == 400 and "invalid or has expired" in response.content.decode(), path
        assert response["X-Robots-Tag"] == "noindex"
    # A subscription started for an address that may not open the page is never confirmed there.
    for path in ("/subscribe/confirm/x/", "/subscribe/verify/x/", "/subscribe/manage/x/", "/subscribe/"):
        response = client.get(path, HTTP_HOST=HOST)
        assert response.status_code == 401 and "Password" in response.content.decode(), path
        assert "history.atom" not in response.content.decode()  # nothing of the page on its sign-in
    assert client.get("/console/login/", HTTP_HOST=HOST).status_code == 200
    unknown = client.get("/no-such-thing/", HTTP_HOST=HOST)
    assert unknown.status_code == 404 and b"Acme" not in unknown.content


def test_a_public_page_has_no_sign_in(client):
    assert client.get("/access/").status_code == 404
    assert "X-Robots-Tag" not in client.get("/")


def test_a_subscription_link_page_shows_a_stranger_no_incident_of_a_private_page(client):
    make_page(PageAccess.PASSWORD)
    response = client.get("/unsubscribe/not-a-token/", HTTP_HOST=HOST)
    assert not any(secret in response.content.decode() for secret in SECRETS)
