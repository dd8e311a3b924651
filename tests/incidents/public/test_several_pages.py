"""Several pages in one install: each routed by its host or /p/<slug>/, each showing only its own."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Impact,
    Incident,
    PageComponent,
    PageHost,
    StatusPage,
)
from incidents.monitoring.component_status import set_component_status
from incidents.public import snapshot_store, snapshots
from incidents.public.snapshot_routes import SNAPSHOT_ROUTES
from incidents.timeline.incident_lifecycle import open_incident

pytestmark = pytest.mark.django_db

SHOP, API = "status.shop.example", "status.api.example"


@pytest.fixture
def two_pages(settings):
    """The default page holds everything; "shop" and "api" pages each hold one component, on a host."""
    settings.ALLOWED_HOSTS = ["testserver", SHOP, API]
    group = ComponentGroup.objects.create(name="Everything")
    checkout = Component.objects.create(name="Checkout", group=group)
    gateway = Component.objects.create(name="API gateway", group=group)
    pages = {}
    for slug, host, component in (("shop", SHOP, checkout), ("api", API, gateway)):
        page = StatusPage.objects.create(name=f"{slug.title()} status", slug=slug)
        PageHost.objects.create(page=page, host=host)
        PageComponent.objects.create(page=page, component=component)
        pages[slug] = page
    return pages, checkout, gateway


def summary(client, path="/api/v2/summary.json", **headers) -> dict:
    response = client.get(path, **headers)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def names(rows) -> list[str]:
    return [row["name"] for row in rows if not row.get("group")]


def test_each_host_answers_with_its_own_page(client, two_pages):
    _, checkout, gateway = two_pages
    set_component_status(gateway, ComponentStatus.MAJOR_OUTAGE)

    shop = summary(client, HTTP_HOST=SHOP)
    api = summary(client, HTTP_HOST=API)
    everything = summary(client)

    assert (shop["page"]["name"], names(shop["components"])) == ("Shop status", ["Checkout"])
    assert (api["page"]["name"], names(api["components"])) == ("Api status", ["API gateway"])
    assert shop["page"]["url"] == f"http://{SHOP}" and shop["page"]["id"] == "shop"
    assert sorted(names(everything["components"])) == ["API gateway", "Checkout"]
    # The banner and indicator come from the page's own components only.
    assert shop["status"]["indicator"] == "none" and api["status"]["indicator"] == "critical"
    assert everything["status"]["indicator"] == "critical"
    assert "Checkout" in client.get("/", HTTP_HOST=SHOP).content.decode()
    assert "API gateway" not in client.get("/", HTTP_HOST=SHOP).content.decode()


def test_a_page_answers_under_p_slug_with_links_that_stay_there(client, two_pages):
    by_host = summary(client, HTTP_HOST=API)
    by_path = summary(client, "/p/api/api/v2/summary.json")
    assert names(by_path["components"]) == names(by_host["components"]) == ["API gateway"]

    html = client.get("/p/api/").content.decode()
    assert 'href="/p/api/history/"' in html and 'href="/p/api/subscribe/"' in html
    assert 'href="/static/site.css"' in html  # static files stay at the site's root
    assert client.get("/p/api").status_code == 301
    assert client.get("/p/nope/").status_code == 404
    # Only the page's own routes answer under /p/<slug>/: not the console, the admin or the ingest.
    for path in ("/p/api/console/", "/p/api/admin/", "/p/api/api/v1/integrations/alertmanager"):
        assert client.get(path).status_code == 404, path


def test_an_incident_shows_on_the_pages_of_its_components_and_names_only_theirs(client, two_pages):
    _, checkout, gateway = two_pages
    both = open_incident(
        Incident(name="Payments and API slow", impact=Impact.MAJOR),
        "Looking into it",
        [checkout, gateway],
        component_statuses={checkout.pk: "degraded_performance", gateway.pk: "partial_outage"},
    )
    api_only = open_incident(Incident(name="API errors"), "Errors", [gateway])

    shop = summary(client, HTTP_HOST=SHOP)
    assert [i["name"] for i in shop["incidents"]] == ["Payments and API slow"]
    incident = shop["incidents"][0]
    assert names(incident["components"]) == ["Checkout"]
    assert [r["name"] for r in incident["incident_updates"][0]["affected_components"]] == ["Checkout"]
    assert incident["shortlink"] == f"http://{SHOP}/incidents/{both.pk}/"

    assert client.get(f"/incidents/{api_only.pk}/", HTTP_HOST=SHOP).status_code == 404
    assert client.get(f"/components/{gateway.pk}/", HTTP_HOST=SHOP).status_code == 404
    assert client.get(f"/incidents/{api_only.pk}/", HTTP_HOST=API).status_code == 200
    page = client.get(f"/incidents/{both.pk}/", HTTP_HOST=SHOP).content.decode()
    assert "Checkout" in page and "API gateway" not in page
    for feed in ("/history.atom", "/history.rss"):
        body = client.get(feed, HTTP_HOST=SHOP).content.decode()
        assert "Payments and API slow" in body and "API errors" not in body and "API gateway" not in body
    history = client.get("/history/", HTTP_HOST=SHOP).content.decode()
    assert "Payments and API slow" in history and "API errors" not in history


def test_a_general_incident_shows_where_it_is_attached_or_else_on_the_default_page(client, two_pages):
    pages, _, _ = two_pages
    open_incident(Incident(name="Shop-wide notice"), "Read this", pages=[pages["shop"]])
    open_incident(Incident(name="Everyone notice"), "Read this too")

    def listed(**headers):
        return [i["name"] for i in summary(client, **headers)["incidents"]]

    assert listed(HTTP_HOST=SHOP) == ["Shop-wide notice"]
    assert listed(HTTP_HOST=API) == []
    assert listed() == ["Everyone notice"]


def test_a_page_groups_and_orders_its_components_its_own_way(client, two_pages):
    pages, checkout, gateway = two_pages
    front = ComponentGroup.objects.create(name="Storefront")
    PageComponent.objects.filter(page=pages["shop"], component=checkout).update(group=front, position=2)
    PageComponent.objects.create(page=pages["shop"], component=gateway, group=front, position=1)

    rows = summary(client, HTTP_HOST=SHOP)["components"]

    assert names(rows) == ["API gateway", "Checkout"]
    group = next(r for r in rows if r["group"])
    assert (group["name"], group["components"]) == ("Storefront", [str(gateway.pk), str(checkout.pk)])
    # The default page still shows the components' own group.
    assert [r["name"] for r in summary(client)["components"] if r["group"]] == ["Everything"]


def test_new_components_join_the_pages_that_take_them(two_pages):
    pages, _, _ = two_pages
    added = Component.objects.create(name="Search")
    assert set(added.status_pages.all()) == {StatusPage.objects.get(is_default=True)}
    assert not pages["shop"].components.filter(pk=added.pk).exists()


def test_an_install_without_pages_gets_its_default_page_back_with_every_component(client, two_pages):
    StatusPage.objects.all().delete()
    assert sorted(names(summary(client)["components"])) == ["API gateway", "Checkout"]


@pytest.fixture
def live_snapshots(settings, tmp_path, monkeypatch):
    settings.SNAPSHOTS_ENABLED = True
    monkeypatch.setattr(snapshot_store, "_cache_down_until", 0.0)
    monkeypatch.setattr(snapshot_store, "_local", {})
    yield tmp_path
    cache.clear()


def built_at(page: StatusPage) -> dict[str, float | None]:
    prefix = snapshots.canonical_prefix(page)
    keys = [snapshots.key_of(page, prefix + route.route) for route in SNAPSHOT_ROUTES]
    return {k: cache.get(snapshot_store.version_key(k)) for k in keys}


@pytest.mark.django_db(transaction=True)  # each change commits, and rebuilds, as in production
def test_a_change_rebuilds_only_the_pages_it_concerns(settings, two_pages, live_snapshots):
    pages, checkout, _ = two_pages
    for n in range(3):  # more pages, none with the checkout on it
        StatusPage.objects.create(name=f"Other {n}", slug=f"other-{n}")
    cache.clear()
    snapshots.rebuild_all()
    before = {page.slug: built_at(page) for page in StatusPage.objects.all()}

    set_component_status(checkout, ComponentStatus.MAJOR_OUTAGE)  # on "shop" and the default page

    after = {page.slug: built_at(page) for page in StatusPage.objects.all()}
    changed = {slug for slug in after if after[slug] != before[slug]}
    assert changed == {"shop", "main"}
    assert all(None not in stamps.values() for stamps in after.values())


def test_snapshots_are_written_per_host_for_nginx(settings, two_pages, live_snapshots):
    settings.SNAPSHOT_DIR = str(live_snapshots / "public")
    settings.SNAPSHOT_PRIVATE_DIR = str(live_snapshots / "private")
    StatusPage.objects.create(name="Hidden", slug="hidden")  # no host: under SITE_URL's host at p/hidden/

    snapshots.rebuild_all()

    public = live_snapshots / "public"
    assert b"Checkout" in (public / SHOP / "index.html").read_bytes()
    assert b"API gateway" not in (public / SHOP / "index.html").read_bytes()
    assert (public / API / "api/v2/summary.json").exists()
    assert (public / "localhost" / "index.html").exists()  # the default page, at SITE_URL's host
    assert (public / "localhost" / "p/hidden/api/v2/status.json").exists()


@pytest.mark.django_db(transaction=True)
def test_a_page_made_private_is_removed_from_where_nginx_serves(settings, two_pages, live_snapshots):
    settings.SNAPSHOT_DIR = str(live_snapshots / "public")
    settings.SNAPSHOT_PRIVATE_DIR = str(live_snapshots / "private")
    pages, _, _ = two_pages
    snapshots.rebuild_all()
    assert (live_snapshots / "public" / SHOP / "index.html").exists()

    pages["shop"].access = "staff"
    pages["shop"].save()

    assert not list((live_snapshots / "public" / SHOP).rglob("*.*"))
    assert (live_snapshots / "private" / "shop" / "index.html").exists()
    PageHost.objects.filter(host=API).delete()
    assert not list((live_snapshots / "public" / API).rglob("*.*"))
