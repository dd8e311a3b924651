"""The maintenance calendar: RFC 5545 read back by a real parser, field by field, per page and component."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from incidents.models import (
    Component,
    ComponentGroup,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    PageComponent,
    PageHost,
    StatusPage,
)
from incidents.public.page_routing import page_index
from incidents.timeline.incident_lifecycle import edit_incident, open_incident, post_update

pytestmark = pytest.mark.django_db

SHOP, API = "status.shop.example", "status.api.example"


@pytest.fixture(autouse=True)
def site(settings):
    settings.SITE_URL = "https://status.example.test"
    settings.ALLOWED_HOSTS = ["testserver", SHOP, API]


@pytest.fixture
def two_pages():
    """The default page shows both components; "shop" and "api" one each, on their own host."""
    group = ComponentGroup.objects.create(name="Everything")
    checkout = Component.objects.create(name="Checkout", group=group)
    gateway = Component.objects.create(name="API gateway", group=group)
    for slug, host, component in (("shop", SHOP, checkout), ("api", API, gateway)):
        page = StatusPage.objects.create(name=f"{slug.title()} status", slug=slug)
        PageHost.objects.create(page=page, host=host)
        PageComponent.objects.create(page=page, component=component)
    return checkout, gateway


def schedule(
    name: str, components, *, start: datetime, hours: int = 2, published=True, body=None
) -> Incident:
    maintenance = Incident(
        kind=IncidentKind.MAINTENANCE,
        name=name,
        status=IncidentStatus.SCHEDULED,
        impact=Impact.NONE,
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=hours),
        is_published=published,
    )
    return open_incident(maintenance, body or f"{name}: we will upgrade.", components=components)


def later(maintenance: Incident, hours: int = 1) -> None:
    """Move the maintenance's past an hour back, as if what follows happened an hour later."""
    maintenance.refresh_from_db()
    Incident.objects.filter(pk=maintenance.pk).update(
        created_at=maintenance.created_at - timedelta(hours=hours),
        updated_at=maintenance.updated_at - timedelta(hours=hours),
    )


def fetch(client, path: str, host: str = "testserver"):
    response = client.get(path, HTTP_HOST=host)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return response


def events(client, path: str, host: str = "testserver") -> dict[str, object]:
    calendar = Calendar.from_ical(fetch(client, path, host).content)
    return {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}


def test_the_calendar_round_trips_every_field(client, two_pages):
    checkout, gateway = two_pages
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    maintenance = schedule("Database upgrade", [checkout, gateway], start=start, hours=3)
    post_update(maintenance, IncidentStatus.SCHEDULED, "Moved to the new cluster first.")
    maintenance.refresh_from_db()

    response = fetch(client, "/maintenance.ics", SHOP)
    assert response["Content-Disposition"] == 'inline; filename="maintenance.ics"'
    raw = response.content.decode()
    assert raw.startswith("BEGIN:VCALENDAR\r\n") and raw.rstrip().endswith("END:VCALENDAR")
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and "statuspage" in str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "Shop status - scheduled maintenance"
    [event] = calendar.walk("VEVENT")

    assert str(event["UID"]) == f"maintenance-{maintenance.pk}@status.example.test"
    assert event.decoded("DTSTART") == start and event.decoded("DTEND") == start + timedelta(hours=3)
    assert event.decoded("DTSTART").utcoffset() == event.decoded("DTEND").utcoffset() == timedelta(0)
    assert f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%S}Z" in raw
    assert event.decoded("DTSTAMP") == maintenance.updated_at.replace(microsecond=0)
    assert f"DTSTAMP:{maintenance.updated_at.astimezone(UTC):%Y%m%dT%H%M%S}Z" in raw
    assert str(event["SUMMARY"]) == "Database upgrade"
    description = str(event["DESCRIPTION"])
    # The latest update, and of the components only this page's.
    assert description.startswith("Scheduled: Moved to the new cluster first.")
    assert "Affects: Checkout" in description and "API gateway" not in description
    assert str(event["URL"]) == f"https://{SHOP}/incidents/{maintenance.pk}/"
    assert str(event["URL"]) in description
    assert str(event["STATUS"]) == "CONFIRMED"
    assert int(event["SEQUENCE"]) == (maintenance.updated_at - maintenance.created_at).seconds


def test_the_uid_and_the_bytes_are_stable_across_renders_and_addresses(client, two_pages):
    checkout, _ = two_pages
    schedule("Broker restart", [checkout], start=timezone.now() + timedelta(days=1))

    first = fetch(client, "/maintenance.ics", SHOP).content
    again = fetch(client, "/maintenance.ics", SHOP).content
    by_path = fetch(client, "/p/shop/maintenance.ics").content
    assert first == again == by_path  # DTSTAMP is the last change, not the time of the request
    on_default = events(client, "/maintenance.ics")["Broker restart"]
    assert on_default["UID"] == Calendar.from_ical(first).walk("VEVENT")[0]["UID"]


def test_sequence_grows_with_a_reschedule_and_a_status_change(client, two_pages):
    checkout, _ = two_pages
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    maintenance = schedule("Disk swap", [checkout], start=start)
    first = events(client, "/maintenance.ics", SHOP)["Disk swap"]
    assert int(first["SEQUENCE"]) == 0

    later(maintenance)
    moved = start + timedelta(days=1)
    edit_incident(maintenance, {"scheduled_for": moved, "scheduled_until": moved + timedelta(hours=4)}, None)
    rescheduled = events(client, "/maintenance.ics", SHOP)["Disk swap"]
    assert int(rescheduled["SEQUENCE"]) > int(first["SEQUENCE"])
    assert rescheduled.decoded("DTSTART") == moved
    assert rescheduled.decoded("DTEND") == moved + timedelta(hours=4)
    assert rescheduled.decoded("DTSTAMP") >= first.decoded("DTSTAMP")
    assert rescheduled["UID"] == first["UID"]

    later(maintenance)
    post_update(maintenance, IncidentStatus.IN_PROGRESS, "Swapping the disks.")
    started = events(client, "/maintenance.ics", SHOP)["Disk swap"]
    assert int(started["SEQUENCE"]) > int(rescheduled["SEQUENCE"])
    assert str(started["DESCRIPTION"]).startswith("In progress: Swapping the disks.")
    assert str(started["STATUS"]) == "CONFIRMED"


def test_a_maintenance_completed_before_its_window_is_cancelled(client, two_pages):
    checkout, _ = two_pages
    called_off = schedule("Network change", [checkout], start=timezone.now() + timedelta(days=5))
    done = schedule("Kernel update", [checkout], start=timezone.now() - timedelta(hours=3), hours=1)
    before = events(client, "/maintenance.ics", SHOP)["Network change"]
    later(called_off)
    post_update(called_off, IncidentStatus.COMPLETED, "Not needed after all.")
    post_update(done, IncidentStatus.IN_PROGRESS, "Updating.")
    post_update(done, IncidentStatus.COMPLETED, "Updated.")

    shown = events(client, "/maintenance.ics", SHOP)
    cancelled = shown["Cancelled: Network change"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > int(before["SEQUENCE"]) and cancelled["UID"] == before["UID"]
    assert str(cancelled["DESCRIPTION"]).startswith("Cancelled: Not needed after all.")
    assert str(shown["Kernel update"]["STATUS"]) == "CONFIRMED"  # completed after it began


def test_the_calendar_keeps_open_and_recent_maintenance_of_the_page_only(client, two_pages):
    checkout, gateway = two_pages
    now = timezone.now()
    schedule("Upcoming", [checkout], start=now + timedelta(days=40))
    recent = schedule("Recent", [checkout], start=now - timedelta(days=10))
    old = schedule("Old", [checkout], start=now - timedelta(days=120))
    for maintenance in (recent, old):
        post_update(maintenance, IncidentStatus.COMPLETED, "Done.")
    Incident.objects.filter(pk=old.pk).update(resolved_at=now - timedelta(days=119))
    schedule("Draft", [checkout], start=now + timedelta(days=1), published=False)
    open_incident(Incident(name="An outage", impact=Impact.MAJOR), "Down.", components=[checkout])
    schedule("Gateway work", [gateway], start=now + timedelta(days=2))

    assert sorted(events(client, "/maintenance.ics", SHOP)) == ["Recent", "Upcoming"]
    assert sorted(events(client, "/maintenance.ics", API)) == ["Gateway work"]
    assert sorted(events(client, "/maintenance.ics")) == ["Gateway work", "Recent", "Upcoming"]


def test_a_component_calendar_holds_its_maintenance_only(client, two_pages):
    checkout, gateway = two_pages
    queue = Component.objects.create(name="Queue")  # on the default page only (it adds new components)
    start = timezone.now() + timedelta(days=1)
    schedule("Checkout work", [checkout], start=start)
    schedule("Both", [checkout, gateway], start=start)
    schedule("Queue work", [queue], start=start)

    path = f"/components/{checkout.pk}/maintenance.ics"
    response = fetch(client, path, SHOP)
    assert response["Content-Disposition"] == f'inline; filename="component-{checkout.pk}-maintenance.ics"'
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["X-WR-CALNAME"]) == "Checkout - Shop status - scheduled maintenance"
    assert sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT")) == ["Both", "Checkout work"]
    assert sorted(events(client, f"/components/{gateway.pk}/maintenance.ics")) == ["Both"]
    # Another page's component, or none at all: a 404, on the host and under /p/<slug>/.
    for host, prefix in ((SHOP, ""), ("testserver", "/p/shop")):
        for pk in (gateway.pk, queue.pk, 999_999, 2**70):
            assert client.get(f"{prefix}/components/{pk}/maintenance.ics", HTTP_HOST=host).status_code == 404
    assert client.post("/maintenance.ics").status_code == 405


def test_the_calendar_costs_the_same_queries_however_many_maintenances(client, two_pages):
    checkout, gateway = two_pages

    def cost() -> int:
        page_index()
        with CaptureQueriesContext(connection) as queries:
            fetch(client, "/maintenance.ics")
        return len(queries)

    schedule("One", [checkout], start=timezone.now() + timedelta(days=1))
    few = cost()
    for n in range(8):
        schedule(f"More {n}", [checkout, gateway], start=timezone.now() + timedelta(days=n + 2))
    assert cost() == few <= 4


def test_the_status_page_links_the_calendar_with_webcal_and_https(client, two_pages):
    html = client.get("/", HTTP_HOST=SHOP).content.decode()
    assert f'href="webcal://{SHOP}/maintenance.ics"' in html
    assert f'href="https://{SHOP}/maintenance.ics"' in html
    default = client.get("/").content.decode()
    assert 'href="webcal://status.example.test/maintenance.ics"' in default
