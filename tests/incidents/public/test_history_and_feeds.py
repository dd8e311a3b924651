"""History, incident and maintenance pages, the active-incident banner, and the Atom and RSS feeds."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

import feedparser
import pytest
from django.test import RequestFactory
from django.utils import timezone

from incidents.models import (
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentKind,
    IncidentStatus,
    IncidentUpdate,
)
from incidents.public.banner import active_incidents
from incidents.public.page_routing import page_index
from incidents.timeline import incident_lifecycle as timeline
from incidents.timeline.incident_lifecycle import post_update, publish_postmortem
from tests.conftest import count_queries

BANNER = 'class="incident-banner'
PROCESSOR = "incidents.public.banner.active_incidents"


def open_incident(
    name: str, *, components=(), published: bool = True, body: str = "Looking into it"
) -> Incident:
    incident = Incident(name=name, impact=Impact.MAJOR, is_published=published)
    return timeline.open_incident(incident, body, components=components)


def schedule_maintenance(name: str, *, start: datetime, hours: int = 2, components=()) -> Incident:
    maintenance = Incident(
        kind=IncidentKind.MAINTENANCE,
        name=name,
        status=IncidentStatus.SCHEDULED,
        impact=Impact.NONE,
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=hours),
    )
    return timeline.open_incident(maintenance, "We will upgrade the brokers.", components=components)


def move(incident: Incident, status: str, body: str = "Moving on", **kwargs) -> Incident:
    post_update(incident, status, body, **kwargs)
    incident.refresh_from_db()
    return incident


def month_start(months_ago: int) -> datetime:
    """Local midnight on the first of the month this many months before this one."""
    now = timezone.localtime()
    year, month = divmod(now.year * 12 + now.month - 1 - months_ago, 12)
    return datetime(year, month + 1, 1, tzinfo=timezone.get_current_timezone())


def past_incident(name: str, started: datetime, lasted: timedelta = timedelta(hours=1)) -> Incident:
    """A resolved incident that started at `started` and lasted `lasted`."""
    incident = move(open_incident(name), "resolved", "Fixed")
    Incident.objects.filter(pk=incident.pk).update(created_at=started, resolved_at=started + lasted)
    incident.refresh_from_db()
    return incident


@pytest.fixture
def banner_enabled(settings):
    """Install the banner's context processor, as settings will."""
    templates = [dict(engine, OPTIONS=dict(engine["OPTIONS"])) for engine in settings.TEMPLATES]
    processors = list(templates[0]["OPTIONS"]["context_processors"])
    if PROCESSOR not in processors:
        processors.append(PROCESSOR)
    templates[0]["OPTIONS"]["context_processors"] = processors
    settings.TEMPLATES = templates


# --- /history/


def test_history_groups_published_incidents_and_maintenance_by_month_newest_first(client, db):
    past_incident("Queue backlog", month_start(1) + timedelta(days=3))
    past_incident("Login errors", month_start(1) + timedelta(days=20))
    past_incident("DNS outage", month_start(2) + timedelta(days=5))
    maintenance = schedule_maintenance("Broker upgrade", start=month_start(2) + timedelta(days=10))
    move(maintenance, "completed", "Done")

    text = client.get("/history/").text

    last_month, month_before = month_start(1), month_start(2)
    headings = [f"<h2>{m:%B %Y}</h2>" for m in (last_month, month_before)]
    assert all(h in text for h in headings)
    order = [
        text.index(headings[0]),
        text.index("Login errors"),
        text.index("Queue backlog"),
        text.index(headings[1]),
        text.index("Broker upgrade"),
        text.index("DNS outage"),
    ]
    assert order == sorted(order)


def test_each_history_entry_links_to_its_page_with_its_final_status_and_duration(client, db):
    incident = past_incident("Queue backlog", month_start(1), lasted=timedelta(hours=1, minutes=5))
    publish_postmortem(incident, "What happened")
    ongoing = open_incident("Slow API")

    text = client.get("/history/").text

    assert f'href="{incident.get_absolute_url()}"' in text
    assert "Incident · Postmortem" in text
    assert "Duration 1 h 5 min" in text
    assert f'href="{ongoing.get_absolute_url()}"' in text
    assert "Incident · Investigating" in text
    assert "Duration ongoing" in text


def test_history_is_paginated_three_months_to_a_page(client, db):
    for n in range(5):
        past_incident(f"Outage {n} months ago", month_start(n))

    first = client.get("/history/").text
    second = client.get("/history/?page=2").text

    assert [f"Outage {n} months ago" in first for n in range(5)] == [True, True, True, False, False]
    assert [f"Outage {n} months ago" in second for n in range(5)] == [False, False, False, True, True]
    assert 'href="?page=2"' in first
    assert 'href="?page=1"' in second
    assert "Page 2 of 2" in second


@pytest.mark.parametrize("page", ["abc", "0", "-1", "3", "1.5", "9" * 40, "%00", "1e3"])
def test_a_bad_history_page_is_a_404_never_a_500(client, db, page):
    past_incident("Queue backlog", month_start(1))

    assert client.get(f"/history/?page={page}").status_code == 404


def test_history_without_incidents_says_so(client, db):
    response = client.get("/history/")

    assert response.status_code == 200
    assert "No incidents reported yet." in response.text


def test_history_leaves_out_drafts_and_maintenance_that_has_not_started(client, db):
    open_incident("Secret draft", published=False)
    schedule_maintenance("Next week's upgrade", start=timezone.now() + timedelta(days=7))
    open_incident("Public outage")

    text = client.get("/history/").text

    assert "Public outage" in text
    assert "Secret draft" not in text
    assert "Next week&#x27;s upgrade" not in text


def test_history_uses_a_constant_number_of_queries(client, db, banner_enabled, django_assert_max_num_queries):
    past_incident("First", month_start(1))
    small = count_queries(client, "/history/")

    for n in range(40):
        past_incident(f"Incident {n}", month_start(n % 3) + timedelta(hours=n))
        open_incident(f"Open {n}")

    with django_assert_max_num_queries(small):
        assert client.get("/history/").status_code == 200


# --- /incidents/<id>/


def test_the_incident_page_shows_the_postmortem_as_sanitised_markdown(client, db):
    incident = move(open_incident("Queue backlog"), "resolved", "Fixed")
    publish_postmortem(
        incident,
        "## Root cause\n\nA **stuck** consumer.\n\n<script>alert(1)</script>\n\n"
        '<img src="x.png" onerror="alert(2)">\n\n[details](javascript:alert(3))',
    )

    text = client.get(incident.get_absolute_url()).text

    assert "<h2>Root cause</h2>" in text
    assert "<strong>stuck</strong>" in text
    assert "alert(1)" not in text
    assert "onerror" not in text
    assert "alert(2)" not in text
    assert "javascript:" not in text


def test_the_incident_page_has_no_postmortem_section_without_one(client, db):
    incident = open_incident("Queue backlog")

    assert 'id="postmortem"' not in client.get(incident.get_absolute_url()).text


def test_the_timeline_is_newest_first_with_affected_components_and_an_anchor_per_update(client, component):
    incident = open_incident("Queue backlog", components=[component], body="Investigating")
    identified = post_update(
        incident, "identified", "Broker down", component_statuses={component.pk: ComponentStatus.MAJOR_OUTAGE}
    )
    resolved = post_update(incident, "resolved", "Fixed")

    text = client.get(incident.get_absolute_url()).text

    assert text.index("Fixed") < text.index("Broker down") < text.index("Investigating")
    assert "Message queue eu-west: Operational &rarr;" in text
    assert '<span class="status major_outage">Major outage</span>' in text
    assert f'id="update-{identified.pk}"' in text
    assert f'id="update-{resolved.pk}"' in text


def test_a_maintenance_page_shows_its_window(client, db):
    start = timezone.now() + timedelta(days=2)
    maintenance = schedule_maintenance("Broker upgrade", start=start, hours=3)

    text = client.get(maintenance.get_absolute_url()).text

    assert "Scheduled maintenance · Scheduled" in text
    assert f'<time datetime="{timezone.localtime(start).isoformat()}">' in text
    assert f'<time datetime="{timezone.localtime(start + timedelta(hours=3)).isoformat()}">' in text


def test_a_draft_incident_page_is_404(client, db):
    draft = open_incident("Not yet public", published=False)

    assert client.get(draft.get_absolute_url()).status_code == 404


def test_the_incident_page_uses_a_constant_number_of_queries(
    client, component, banner_enabled, django_assert_max_num_queries
):
    incident = open_incident("Queue backlog", components=[component])
    small = count_queries(client, incident.get_absolute_url())

    others = [Component.objects.create(name=f"Service {n}") for n in range(10)]
    incident.components.add(*others)
    for n in range(30):
        post_update(
            incident,
            "identified",
            f"Update {n}",
            component_statuses={others[n % 10].pk: "degraded_performance"},
        )
        open_incident(f"Other {n}")

    with django_assert_max_num_queries(small):
        assert client.get(incident.get_absolute_url()).status_code == 200


# --- The status page: maintenance, self-refresh, local times


def test_the_status_page_shows_maintenance_scheduled_within_a_week_but_not_later(client, component):
    schedule_maintenance("Broker upgrade", start=timezone.now() + timedelta(days=3), components=[component])
    schedule_maintenance("Datacenter move", start=timezone.now() + timedelta(days=9))

    text = client.get("/").text

    assert "Upcoming maintenance" in text
    assert "Broker upgrade" in text
    assert "Datacenter move" not in text
    assert "Affects Message queue eu-west" in text


def test_the_status_page_shows_maintenance_in_progress(client, component):
    maintenance = schedule_maintenance("Broker upgrade", start=timezone.now(), components=[component])
    move(maintenance, "in_progress", "Upgrading now")

    text = client.get("/").text

    assert "Maintenance in progress" in text
    assert "Broker upgrade" in text
    assert "Upcoming maintenance" not in text
    assert 'class="banner none maintenance"' in text
    assert "Service Under Maintenance" in text


def test_the_status_page_polls_status_json_and_knows_the_updated_at_it_shows(client, component):
    open_incident("Queue backlog")

    text = client.get("/").text
    updated_at = client.get("/api/v2/status.json").json()["page"]["updated_at"]

    assert f'data-updated-at="{updated_at}" data-status-url="/api/v2/status.json"' in text
    script = static_text(client, "status-refresh.js")  # a file, not inline: the CSP allows no inline code
    assert f'<script src="/static/status-refresh.js" data-updated-at="{updated_at}"' in text
    assert "document.hidden" in script
    assert "30000" in script


def test_public_pages_carry_iso_times_and_the_script_that_localises_them(client, db):
    incident = open_incident("Queue backlog")
    update = incident.updates.get()

    pages = {
        "/": update.created_at,
        incident.get_absolute_url(): update.created_at,
        "/history/": incident.created_at,
    }

    script = static_text(client, "local-times.js")
    assert 'querySelectorAll("time[datetime]")' in script
    assert 'dateStyle: "medium", timeStyle: "short"' in script
    for path, shown in pages.items():
        text = client.get(path).text
        assert f'<time datetime="{timezone.localtime(shown).isoformat()}">' in text
        assert '<script src="/static/local-times.js"></script>' in text


# --- The active-incident banner


@pytest.mark.parametrize("path", ["/history/", "/subscribe/", "incident", "component"])
def test_the_banner_appears_on_public_pages_while_an_incident_is_open(
    client, component, banner_enabled, path
):
    incident = open_incident("Queue backlog in eu-west")
    path = {"incident": incident.get_absolute_url(), "component": f"/components/{component.pk}/"}.get(
        path, path
    )

    text = client.get(path).text

    assert BANNER in text
    banner = text[text.index(BANNER) :]
    assert f'<a href="{incident.get_absolute_url()}">Queue backlog in eu-west</a>' in banner


@pytest.mark.parametrize("path", ["/history/", "/subscribe/"])
def test_no_banner_without_an_open_published_incident(client, db, banner_enabled, path):
    move(open_incident("Old outage"), "resolved", "Fixed")
    open_incident("Draft outage", published=False)
    schedule_maintenance("Broker upgrade", start=timezone.now() + timedelta(days=1))

    assert BANNER not in client.get(path).text


def test_the_banner_escapes_incident_names(client, db, banner_enabled):
    open_incident("<script>alert(1)</script>")

    text = client.get("/subscribe/").text

    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_the_banner_costs_no_query_until_a_template_reads_it(db, django_assert_num_queries):
    open_incident("Queue backlog")
    request = RequestFactory().get("/subscribe/")
    page_index()  # the pages are known before the first request

    with django_assert_num_queries(0):
        context = active_incidents(request)
    with django_assert_num_queries(1):
        assert [i.name for i in context["active_incidents"]] == ["Queue backlog"]


# --- /history.atom and /history.rss


def parse(client, path: str):
    response = client.get(path)
    assert response.status_code == 200
    feed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


FEEDS = ["/history.atom", "/history.rss"]


@pytest.mark.parametrize("path", FEEDS)
def test_a_feed_has_one_entry_per_published_update_newest_first(client, component, path):
    incident = open_incident("Queue backlog", components=[component])
    post_update(incident, "identified", "A consumer is stuck")
    post_update(incident, "resolved", "Consumers restarted")
    maintenance = schedule_maintenance("Broker upgrade", start=timezone.now() + timedelta(days=1))
    post_update(maintenance, "in_progress", "Upgrading")
    open_incident("Draft outage", published=False)
    updates = list(IncidentUpdate.objects.filter(incident__is_published=True).order_by("-created_at", "-id"))

    feed = parse(client, path)

    assert len(feed.entries) == len(updates) == 5
    assert [e.title for e in feed.entries] == [
        "Broker upgrade: In progress",
        "Broker upgrade: Scheduled",
        "Queue backlog: Resolved",
        "Queue backlog: Identified",
        "Queue backlog: Investigating",
    ]
    for entry, update in zip(feed.entries, updates, strict=True):
        assert entry.link == f"http://testserver{update.incident.get_absolute_url()}#update-{update.pk}"
        assert calendar.timegm(entry.published_parsed) == int(update.created_at.timestamp())
    assert len({e.id for e in feed.entries}) == 5
    assert "Draft outage" not in str(feed)


@pytest.mark.parametrize("path", FEEDS)
def test_a_feed_holds_at_most_the_50_latest_updates(client, db, path):
    incident = open_incident("Long incident")
    for n in range(55):
        post_update(incident, "identified", f"Update {n}")

    entries = parse(client, path).entries

    assert len(entries) == 50
    assert "Update 54" in entries[0].summary
    assert "Update 5" in entries[-1].summary


@pytest.mark.parametrize("path", FEEDS)
def test_a_feed_without_history_is_still_valid(client, db, path):
    feed = parse(client, path)

    assert feed.entries == []
    assert feed.feed.title.endswith("incident history")


@pytest.mark.parametrize("path", FEEDS)
def test_a_feed_escapes_update_bodies(client, db, path):
    open_incident("Queue backlog", body="<script>alert(1)</script> & more")

    response = client.get(path)

    assert b"<script>alert(1)</script>" not in response.content
    assert "alert(1)" in parse(client, path).entries[0].summary


@pytest.mark.parametrize("path", FEEDS)
def test_a_feed_uses_a_constant_number_of_queries(client, db, django_assert_max_num_queries, path):
    open_incident("First")
    small = count_queries(client, path)

    for n in range(20):
        incident = open_incident(f"Incident {n}")
        post_update(incident, "resolved", "Fixed")

    with django_assert_max_num_queries(small):
        assert client.get(path).status_code == 200


def test_the_status_page_lists_open_incidents_once_not_also_in_a_banner(client, component, banner_enabled):
    open_incident("Queue backlog in eu-west")

    text = client.get("/").text

    assert BANNER not in text
    assert text.count(">Queue backlog in eu-west</a>") == 1


def static_text(client, name: str) -> str:
    response = client.get(f"/static/{name}")
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()
