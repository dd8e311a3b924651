"""The status embed (incidents/public/embed.py): its script, its frame, who may frame what, per page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from incidents.models import (
    Component,
    ComponentStatus,
    Incident,
    IncidentStatus,
    PageAccess,
    PageComponent,
    StatusPage,
)
from incidents.public.embed import readable_on
from incidents.timeline.incident_lifecycle import declare_incident, open_incident, post_update
from incidents.timeline.maintenance import schedule_maintenance

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages():
    """The default page shows everything; "shop" shows only Checkout, "api" only the API gateway."""
    checkout = Component.objects.create(name="Checkout")
    gateway = Component.objects.create(name="API gateway")
    made = {}
    for slug, component in (("shop", checkout), ("api", gateway)):
        page = StatusPage.objects.create(name=f"{slug.title()} status", slug=slug)
        PageComponent.objects.create(page=page, component=component)
        made[slug] = page
    return made, checkout, gateway


def declare(component: Component, name="Checkout is failing", body="We are looking into it.") -> Incident:
    return declare_incident(
        name, body, IncidentStatus.INVESTIGATING, {component.pk: ComponentStatus.MAJOR_OUTAGE}
    )


def frame_of(client, path="/embed/frame", **params) -> str:
    response = client.get(path, params)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def csp(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in policy.split(";")) if d}


# --- Headers and framing


def test_script_is_javascript_any_site_may_load(client, pages):
    response = client.get("/embed/script.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"].startswith("public, max-age=")
    body = response.content.decode()
    for word in ("document.currentScript", "showFrame", "dismissFrame", "window.statusEmbedTest", '"frame"'):
        assert word in body


def test_frame_may_be_framed_by_any_site_and_keeps_the_rest_of_the_policy(client, pages):
    response = client.get("/embed/frame")
    assert "X-Frame-Options" not in response
    policy = csp(response)
    assert policy["frame-ancestors"] == "*"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_every_other_page_still_forbids_framing(client, pages):
    _, checkout, _ = pages
    incident = declare(checkout)
    for path in (
        "/",
        "/history/",
        f"/incidents/{incident.pk}/",
        "/embed/script.js",
        "/p/shop/",
        "/api/v2/summary.json",
        "/embed/frame?position=sideways",  # a refusal in the frame's place is not the frame
        "/no-such-page/",
    ):
        response = client.get(path)
        assert response["X-Frame-Options"] == "DENY", path
        assert csp(response)["frame-ancestors"] == "'none'", path


def test_other_methods_are_refused(client, pages):
    assert client.post("/embed/frame").status_code == 405
    assert client.post("/embed/script.js").status_code == 405
    assert client.head("/embed/frame").status_code == 200


# --- Options


@pytest.mark.parametrize(
    "params",
    [
        {"position": "middle"},
        {"position": "BOTTOM-LEFT"},
        {"incident_background_color": "red"},
        {"incident_text_color": "#12345"},
        {"maintenance_background_color": "ff00zz"},
        {"maintenance_text_color": "#ff0000;background:url(x)"},
        {"mobile": "yes"},
    ],
)
def test_bad_options_are_a_clear_400_on_both_routes(client, pages, params):
    for path in ("/embed/script.js", "/embed/frame"):
        response = client.get(path, params)
        assert response.status_code == 400, (path, params)
        assert response["Content-Type"].startswith("text/plain")
        assert next(iter(params)) in response.content.decode()


def test_good_options_reach_the_frame_checked_and_normalised(client, pages):
    _, checkout, _ = pages
    declare(checkout)
    for position in ("bottom-left", "bottom-right", "top-left", "top-right"):
        assert client.get("/embed/script.js", {"position": position}).status_code == 200
    html = frame_of(
        client,
        position="top-right",
        mobile="true",
        incident_background_color="#B91C1C",
        incident_text_color="fff",
        utm_source="ignored",
    )
    assert 'data-background="#b91c1c"' in html and 'data-text="#ffffff"' in html
    assert "mobile" in html.split("<body", 1)[1].split(">", 1)[0]
    # Maintenance colours do not paint an incident.
    html = frame_of(client, maintenance_background_color="123456")
    assert "data-background" not in html


def test_a_background_without_a_text_colour_gets_a_readable_one():
    assert readable_on("#ffff00") == "#1a202c"
    assert readable_on("#1a202c") == "#ffffff"
    assert readable_on("#b91c1c") == "#ffffff"


# --- Content


def test_frame_with_nothing_active_holds_only_the_test_card(client, pages):
    html = frame_of(client)
    assert 'data-active="false"' in html
    assert "Status embed test" in html
    assert 'class="embed-dismiss"' in html
    assert "<style" not in html and " style=" not in html and "<script>" not in html


def test_frame_shows_the_newest_incident_until_it_is_resolved(client, pages):
    _, checkout, _ = pages
    older = declare(checkout, name="Slow checkout")
    incident = declare(checkout, name="Checkout <b>down</b>")
    post_update(incident, IncidentStatus.IDENTIFIED, "A bad deploy; rolling back.")
    html = frame_of(client)
    assert 'data-active="true"' in html
    assert "Checkout &lt;b&gt;down&lt;/b&gt;" in html
    assert "Identified" in html and "A bad deploy; rolling back." in html
    assert f'href="/incidents/{incident.pk}/"' in html
    assert "1 more on" in html and "Slow checkout" not in html
    key = html.split('data-key="', 1)[1].split('"', 1)[0]
    assert key.startswith(f"{incident.pk}-")

    post_update(incident, IncidentStatus.RESOLVED, "Fixed.")
    post_update(older, IncidentStatus.RESOLVED, "Fixed.")
    html = frame_of(client)
    assert 'data-active="false"' in html and "Checkout" not in html


def test_a_later_update_gives_the_frame_a_new_key(client, pages):
    """A visitor who dismissed the frame sees it again when the incident moves on (embed-frame.js)."""
    _, checkout, _ = pages
    incident = declare(checkout)
    first = frame_of(client).split('data-key="', 1)[1].split('"', 1)[0]
    post_update(incident, IncidentStatus.MONITORING, "A fix is out.")
    second = frame_of(client).split('data-key="', 1)[1].split('"', 1)[0]
    assert first != second


def test_maintenance_shows_only_while_in_progress_and_an_incident_comes_first(client, pages):
    _, checkout, _ = pages
    now = timezone.now()
    window = schedule_maintenance(
        "Database upgrade", "Planned.", [checkout], now + timedelta(hours=1), now + timedelta(hours=2)
    )
    assert 'data-active="false"' in frame_of(client)
    post_update(window, IncidentStatus.IN_PROGRESS, "Upgrading now.")
    html = frame_of(client, maintenance_background_color="3182ce")
    assert 'data-active="true"' in html and "Database upgrade" in html and "Upgrading now." in html
    assert "embed-frame maintenance" in html and 'data-background="#3182ce"' in html
    incident = declare(checkout)
    html = frame_of(client)
    assert incident.name in html and "1 more on" in html
    post_update(incident, IncidentStatus.RESOLVED, "Fixed.")
    post_update(window, IncidentStatus.COMPLETED, "Done.")
    assert 'data-active="false"' in frame_of(client)


def test_drafts_never_show(client, pages):
    _, checkout, _ = pages
    open_incident(Incident(name="Quiet draft", is_published=False), "Not yet.", [checkout])
    html = frame_of(client)
    assert 'data-active="false"' in html and "Quiet draft" not in html


def test_each_page_frames_only_its_own_incidents(client, pages):
    made, checkout, gateway = pages
    incident = declare(gateway, name="Gateway errors")
    assert "Gateway errors" in frame_of(client, "/p/api/embed/frame")
    assert f'href="/p/api/incidents/{incident.pk}/"' in frame_of(client, "/p/api/embed/frame")
    assert 'href="/p/api/"' in frame_of(client, "/p/api/embed/frame")
    shop = frame_of(client, "/p/shop/embed/frame")
    assert 'data-active="false"' in shop and "Gateway errors" not in shop
    assert "Shop status" in shop
    script = client.get("/p/shop/embed/script.js").content.decode()
    assert "Shop status status" in script


def test_the_page_name_is_escaped_in_the_script(client, pages):
    made, _, _ = pages
    made["shop"].name = 'Shop "quoted" </script>'
    made["shop"].save()
    body = client.get("/p/shop/embed/script.js").content.decode()
    title = next(line for line in body.splitlines() if "frame.title" in line)
    assert title == r'  frame.title = "Shop \u0022quoted\u0022 \u003C/script\u003E status";'


def test_frame_costs_a_few_queries(client, pages, django_assert_max_num_queries):
    _, checkout, _ = pages
    declare(checkout)
    client.get("/embed/frame")  # the page index is loaded once per process
    with django_assert_max_num_queries(3):
        assert client.get("/embed/frame").status_code == 200


# --- Private pages


@pytest.fixture
def private_page(pages):
    made, _, gateway = pages
    page = made["api"]
    page.access = PageAccess.NETWORK
    page.allowed_networks = "127.0.0.0/8"
    page.save()
    declare(gateway, name="Private trouble")
    return page


def test_a_private_page_has_no_embed_even_for_those_it_lets_in(client, private_page, settings):
    settings.NUM_PROXIES = 0
    # The network rule lets this client in: the page itself opens, the embed does not.
    assert client.get("/p/api/").status_code == 200
    for path in ("/p/api/embed/frame", "/p/api/embed/script.js"):
        response = client.get(path, REMOTE_ADDR="127.0.0.1")
        assert response.status_code == 404, path
        assert b"Private trouble" not in response.content
        assert response["X-Frame-Options"] == "DENY"
        assert csp(response)["frame-ancestors"] == "'none'"
    staff = Client()
    staff.force_login(get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-for-tests"))
    assert staff.get("/p/api/embed/frame").status_code == 404


def test_a_stranger_gets_a_bare_404_from_a_private_pages_embed(client, private_page, settings):
    settings.NUM_PROXIES = 0
    for path in ("/p/api/embed/frame", "/p/api/embed/script.js"):
        response = client.get(path, REMOTE_ADDR="203.0.113.9")
        assert response.status_code == 404
        assert b"Private trouble" not in response.content and b"Api status" not in response.content
