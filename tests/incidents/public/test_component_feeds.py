"""A component's own Atom and RSS feeds: valid, only what affects it, only on a page that shows it."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest
from django.utils import timezone

from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentUpdate,
    PageComponent,
    PageHost,
    StatusPage,
)
from incidents.timeline.incident_lifecycle import declare_incident, open_incident, post_update

pytestmark = pytest.mark.django_db

SHOP, API = "status.shop.example", "status.api.example"
FEEDS = ["history.atom", "history.rss"]


@pytest.fixture(autouse=True)
def hosts(settings):
    settings.ALLOWED_HOSTS = ["testserver", SHOP, API]


@pytest.fixture
def two_pages():
    group = ComponentGroup.objects.create(name="Everything")
    checkout = Component.objects.create(name="Checkout", group=group)
    gateway = Component.objects.create(name="API gateway", group=group)
    for slug, host, component in (("shop", SHOP, checkout), ("api", API, gateway)):
        page = StatusPage.objects.create(name=f"{slug.title()} status", slug=slug)
        PageHost.objects.create(page=page, host=host)
        PageComponent.objects.create(page=page, component=component)
    return checkout, gateway


def parse(client, path: str, host: str = "testserver"):
    response = client.get(path, HTTP_HOST=host)
    assert response.status_code == 200, response.content[:300]
    feed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def titles(feed) -> list[str]:
    return [entry.title for entry in feed.entries]


@pytest.mark.parametrize("feed", FEEDS)
def test_a_component_feed_has_only_the_updates_that_affect_it(client, two_pages, feed):
    checkout, gateway = two_pages
    backlog = open_incident(Incident(name="Checkout slow", impact=Impact.MINOR), "Slow.", [checkout])
    post_update(backlog, IncidentStatus.RESOLVED, "Fast again.")
    open_incident(Incident(name="Gateway down", impact=Impact.MAJOR), "Down.", [gateway])
    maintenance = Incident(
        kind=IncidentKind.MAINTENANCE,
        name="Checkout upgrade",
        status=IncidentStatus.SCHEDULED,
        impact=Impact.NONE,
        scheduled_for=timezone.now() + timedelta(days=1),
        scheduled_until=timezone.now() + timedelta(days=1, hours=2),
    )
    open_incident(maintenance, "Upgrading checkout.", [checkout])
    open_incident(Incident(name="Checkout draft", is_published=False), "Draft.", [checkout])
    open_incident(Incident(name="General notice"), "Everyone.", [])  # on the default page, no component

    got = parse(client, f"/components/{checkout.pk}/{feed}", SHOP)

    expected = IncidentUpdate.objects.filter(
        incident__components=checkout, incident__is_published=True
    ).order_by("-created_at", "-id")
    assert titles(got) == [f"{u.incident.name}: {u.get_status_display()}" for u in expected]
    assert len(got.entries) == 3
    assert got.feed.title == "Checkout - Shop status incident history"
    assert got.feed.link.endswith(f"/components/{checkout.pk}/")
    # The same feed on the default page and under /p/shop/; the gateway's on its own page.
    assert titles(parse(client, f"/components/{checkout.pk}/{feed}")) == titles(got)
    assert titles(parse(client, f"/p/shop/components/{checkout.pk}/{feed}")) == titles(got)
    assert titles(parse(client, f"/components/{gateway.pk}/{feed}", API)) == ["Gateway down: Investigating"]


@pytest.mark.parametrize("feed", FEEDS)
def test_an_incident_across_pages_lists_only_this_pages_components(client, two_pages, feed):
    checkout, gateway = two_pages
    statuses = {checkout.pk: ComponentStatus.DEGRADED, gateway.pk: ComponentStatus.MAJOR_OUTAGE}
    declare_incident("Payments", "Both are hit.", "investigating", statuses)

    [entry] = parse(client, f"/components/{checkout.pk}/{feed}", SHOP).entries
    assert "Checkout: Degraded performance" in entry.description
    assert "API gateway" not in entry.description


@pytest.mark.parametrize("feed", FEEDS)
def test_another_pages_component_or_none_is_a_404(client, two_pages, feed):
    checkout, gateway = two_pages
    for host, prefix in ((SHOP, ""), ("testserver", "/p/shop")):
        for pk in (gateway.pk, 999_999, 2**70):
            response = client.get(f"{prefix}/components/{pk}/{feed}", HTTP_HOST=host)
            assert response.status_code == 404, (host, prefix, pk)
    assert client.get(f"/components/{checkout.pk}/{feed}", HTTP_HOST=API).status_code == 404
    assert client.get(f"/components/nope/{feed}", HTTP_HOST=SHOP).status_code == 404


def test_the_component_page_links_its_feeds_and_calendar(client, two_pages, settings):
    settings.SITE_URL = "https://status.example.test"
    checkout, _ = two_pages
    html = client.get(f"/p/shop/components/{checkout.pk}/").content.decode()
    assert f'href="/p/shop/components/{checkout.pk}/history.atom"' in html
    assert f'href="/p/shop/components/{checkout.pk}/history.rss"' in html
    assert f'href="webcal://{SHOP}/components/{checkout.pk}/maintenance.ics"' in html
    assert f'href="/p/shop/components/{checkout.pk}/maintenance.ics"' in html
