"""CORS and short caching: any origin reads a public page's JSON, feeds and calendars, and any cache
keeps them a moment; a private page's responses are neither readable by other origins nor shared."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from incidents.models import (
    Component,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    PageAccess,
    PageComponent,
    PageHost,
    StatusPage,
)
from incidents.public import snapshot_store, snapshots
from incidents.public.snapshot_routes import SNAPSHOT_ROUTES
from incidents.timeline.incident_lifecycle import open_incident

pytestmark = pytest.mark.django_db

HOST = "private.example.test"
# Served from snapshots, and kept as long as one: the v2 JSON and the page's calendar.
JSON = [r.route for r in SNAPSHOT_ROUTES if r.route.endswith((".json", ".ics"))]
FEEDS = ["history.atom", "history.rss"]
COMPONENT_FEEDS = ["history.atom", "history.rss", "maintenance.ics"]


@pytest.fixture(autouse=True)
def hosts(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    settings.PUBLIC_MAX_AGE_SECONDS = 17


@pytest.fixture(params=[False, True], ids=["from-database", "from-snapshots"])
def snapshots_on(request, settings, monkeypatch):
    settings.SNAPSHOTS_ENABLED = request.param
    monkeypatch.setattr(snapshot_store, "_cache_down_until", 0.0)
    monkeypatch.setattr(snapshot_store, "_local", {})
    forget_snapshots()
    yield request.param
    forget_snapshots()


def forget_snapshots() -> None:
    paths = [p + r.route for p in ("/", "/p/internal/", "/p/main/") for r in SNAPSHOT_ROUTES]
    keys = [snapshots.key_of(StatusPage(slug=s), path) for s in ("internal", "main") for path in paths]
    cache.delete_many(
        [snapshot_store.body_key(k) for k in keys] + [snapshot_store.version_key(k) for k in keys]
    )


def content(component: Component) -> None:
    open_incident(Incident(name="Queue backlog", impact=Impact.MAJOR), "Looking.", [component])
    start = timezone.now() + timedelta(days=1)
    maintenance = Incident(
        kind=IncidentKind.MAINTENANCE,
        name="Broker upgrade",
        status=IncidentStatus.SCHEDULED,
        impact=Impact.NONE,
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
    )
    open_incident(maintenance, "Upgrading.", [component])


def paths(component: Component, prefix: str = "/") -> dict[str, str]:
    """Each path, and the max-age its public form is cached for."""
    found = {prefix + route: "max-age=17" for route in JSON}
    found.update({prefix + route: "max-age=60" for route in FEEDS})
    found.update({f"{prefix}components/{component.pk}/{r}": "max-age=60" for r in COMPONENT_FEEDS})
    return found


def test_a_public_pages_json_feeds_and_calendars_are_readable_anywhere_and_cached_briefly(
    client, component, snapshots_on
):
    content(component)
    for path, max_age in paths(component).items():
        for _ in range(2):  # the second from the snapshot, when snapshots serve it
            response = client.get(path, HTTP_ORIGIN="https://elsewhere.example")
            assert response.status_code == 200, path
            assert response["Access-Control-Allow-Origin"] == "*", path
            assert response["Cache-Control"] == f"public, {max_age}", path
    page = client.get("/")
    assert not page.has_header("Access-Control-Allow-Origin")  # the HTML page is for people, not scripts
    missing = client.get("/components/999999/history.atom")
    assert missing.status_code == 404 and not missing.has_header("Cache-Control")


def private_page() -> tuple[StatusPage, Component]:
    page = StatusPage.objects.create(name="Acme internal", slug="internal", access=PageAccess.STAFF)
    PageHost.objects.create(page=page, host=HOST)
    component = Component.objects.create(name="Ledger")
    PageComponent.objects.filter(component=component).delete()
    PageComponent.objects.create(page=page, component=component)
    content(component)
    return page, component


def test_a_private_pages_responses_are_private_and_readable_by_no_other_origin(client, snapshots_on):
    _, component = private_page()
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-tests-only"))
    for host, prefix in ((HOST, "/"), ("localhost", "/p/internal/")):
        for path in [prefix, *paths(component, prefix)]:
            for _ in range(2):
                let_in = staff.get(path, HTTP_HOST=host, HTTP_ORIGIN="https://elsewhere.example")
                assert let_in.status_code == 200, path
                assert let_in["Cache-Control"] == "private, no-cache", path
                assert not let_in.has_header("Access-Control-Allow-Origin"), path
                assert "Cookie" in let_in["Vary"], path
            stranger = client.get(path, HTTP_HOST=host, HTTP_ORIGIN="https://elsewhere.example")
            assert stranger.status_code in (401, 403, 404), path
            assert b"Ledger" not in stranger.content and b"Broker upgrade" not in stranger.content
            assert stranger["Cache-Control"] == "private, no-cache", path
            assert not stranger.has_header("Access-Control-Allow-Origin"), path
