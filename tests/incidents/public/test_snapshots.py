"""The public page and v2 JSON: served from snapshots, rebuilt on change, surviving Redis and the database."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.db import OperationalError, connection
from django.urls import reverse

from incidents.models import Incident, IncidentStatus
from incidents.public import snapshot_store, snapshots
from incidents.public.page_routing import page_index
from incidents.public.snapshot_routes import SNAPSHOT_ROUTES
from incidents.timeline.incident_lifecycle import open_incident, post_update

pytestmark = pytest.mark.django_db


def database_down(execute, sql, params, many, context):
    raise OperationalError("connection refused")


@pytest.fixture
def live_snapshots(settings, tmp_path, monkeypatch):
    settings.SNAPSHOTS_ENABLED = True
    settings.SNAPSHOT_DIR = str(tmp_path / "snapshots")
    monkeypatch.setattr(snapshot_store, "_cache_down_until", 0.0)
    monkeypatch.setattr(snapshot_store, "_local", {})
    forget_cached()
    # nginx serves SNAPSHOT_DIR/$host; the default page is written under SITE_URL's host.
    yield Path(settings.SNAPSHOT_DIR) / urlsplit(settings.SITE_URL).hostname
    forget_cached()


def forget_cached() -> None:
    pages = page_index().by_id.values()
    keys = [snapshots.key_of(page, reverse(route.name)) for page in pages for route in SNAPSHOT_ROUTES]
    keys = [snapshot_store.body_key(k) for k in keys] + [snapshot_store.version_key(k) for k in keys]
    cache.delete_many(keys)


def test_a_page_is_rendered_once_then_served_without_touching_the_database(
    client, component, live_snapshots, django_assert_num_queries
):
    first = client.get("/")
    assert first.status_code == 200 and first["X-Snapshot"] == "fresh"
    client.get("/api/v2/summary.json")

    with django_assert_num_queries(0):
        again = client.get("/")
        json_again = client.get("/api/v2/summary.json")
    assert again.content == first.content
    assert json_again["Access-Control-Allow-Origin"] == "*"
    assert json_again.json()["components"][-1]["name"] == component.name


def test_a_query_string_does_not_bypass_the_cache(
    client, component, live_snapshots, django_assert_num_queries
):
    client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/?nocache=12345").status_code == 200


def test_a_change_rebuilds_the_snapshots_once_it_commits(
    client, component, live_snapshots, django_capture_on_commit_callbacks, django_assert_num_queries
):
    client.get("/api/v2/summary.json")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        open_incident(Incident(name="Queue backlog in eu-west", impact="major"), "Looking.", [component])
    assert sum(isinstance(cb, snapshots._Rebuild) for cb in callbacks) == 1  # one rebuild per transaction

    with django_assert_num_queries(0):
        page = client.get("/").content.decode()
        incidents = client.get("/api/v2/summary.json").json()["incidents"]
    assert "Queue backlog in eu-west" in page
    assert [i["name"] for i in incidents] == ["Queue backlog in eu-west"]


def test_snapshots_are_written_to_disk_mirroring_the_url_paths(component, live_snapshots):
    assert snapshots.rebuild_all() == len(SNAPSHOT_ROUTES)

    assert b"<!doctype html>" in (live_snapshots / "index.html").read_bytes()
    assert (live_snapshots / "api/v2/summary.json").read_bytes().startswith(b"{")
    assert (live_snapshots / "api/v2/scheduled-maintenances/active.json").exists()
    assert not list(live_snapshots.rglob(".tmp-*"))


def test_with_the_cache_down_pages_render_from_the_database(client, component, live_snapshots, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    open_incident(Incident(name="Fresh from the database", impact="minor"), "Looking.", [component])

    response = client.get("/")

    assert response.status_code == 200 and "Fresh from the database" in response.content.decode()
    assert client.get("/api/v2/status.json").status_code == 200


def test_with_the_database_down_the_last_snapshot_is_served_with_its_time(
    client, component, live_snapshots, monkeypatch
):
    open_incident(Incident(name="Queue backlog", impact="major"), "Looking.", [component])
    snapshots.rebuild_all()
    forget_cached()  # Redis lost it too

    with connection.execute_wrapper(database_down):
        page = client.get("/")
        api = client.get("/api/v2/summary.json")

    assert page.status_code == 200 and page["X-Snapshot"] == "stale"
    text = page.content.decode()
    assert "Queue backlog" in text and "This is the last known status, as of" in text
    assert api.status_code == 200 and api["X-Snapshot"] == "stale"
    assert api.json()["incidents"][0]["name"] == "Queue backlog"


def test_a_rebuild_while_the_database_is_down_keeps_the_last_good_snapshot(
    component, live_snapshots, monkeypatch
):
    snapshots.rebuild_all()
    before = (live_snapshots / "index.html").read_bytes()

    with connection.execute_wrapper(database_down):
        assert snapshots.rebuild_all() == 0
    assert (live_snapshots / "index.html").read_bytes() == before


def test_one_visitors_messages_never_end_up_in_the_shared_snapshot(client, component, live_snapshots):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    responder = get_user_model().objects.create_user("responder")
    responder.groups.add(Group.objects.get(name="Responder"))
    client.force_login(responder)
    client.post(f"/console/components/{component.pk}/status/", {"status": "degraded_performance"})
    # The flash message "... is now degraded performance." waits in this visitor's session;
    # they are the first to load "/" after the change.

    page = client.get("/").content.decode()

    assert "is now degraded performance" not in page
    shared = snapshot_store.from_cache(snapshots.key_of(page_index().default, "/"))
    assert "is now degraded performance" not in shared.body.decode()
    assert "is now degraded performance" in client.get("/console/").content.decode()  # still theirs


def test_resolving_shows_on_the_snapshot_at_once(
    client, component, live_snapshots, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_incident(Incident(name="Queue backlog", impact="major"), "Looking.", [component])
    assert "Queue backlog" in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        post_update(incident, IncidentStatus.RESOLVED, "Fixed.")
    assert "All Systems Operational" in client.get("/").content.decode()


def test_clients_that_accept_gzip_get_the_snapshot_compressed_once(client, component, live_snapshots):
    import gzip

    plain = client.get("/")
    packed = client.get("/", headers={"Accept-Encoding": "gzip, br"})

    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 3
    assert gzip.decompress((live_snapshots / "index.html.gz").read_bytes()) == plain.content
