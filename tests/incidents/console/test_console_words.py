"""The console speaks the product's words: its title, human labels, general incidents."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from incidents.models import ComponentStatus, Event, Impact, Incident, Probe
from incidents.timeline.incident_lifecycle import declare_incident
from incidents.timeline.staff_status import set_status_by_staff

pytestmark = pytest.mark.django_db

RAW = ["degraded_performance", "major_outage", "partial_outage", "under_maintenance"]


@pytest.fixture
def responder_client(client):
    user = get_user_model().objects.create_user("rene", password="pw-for-tests-only")
    user.groups.add(Group.objects.get(name="Responder"))
    client.force_login(user)
    return client


def visible_text(html: str) -> str:
    """The page's text, without tags, attribute values, styles or scripts."""
    html = re.sub(r"<(style|script)\b.*?</\1>", "", html, flags=re.S)
    html = re.sub(r"<[^>]+>", " ", html)
    return re.sub(r"\s+", " ", html_lib.unescape(html))


def test_the_login_page_carries_the_products_name_not_the_host(client):
    html = client.get("/console/login/", HTTP_HOST="localhost").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert settings.SITE_NAME in title and "localhost" not in title
    assert "localhost" not in visible_text(html)


def test_the_login_boxes_are_styled_alike(client):
    html = client.get("/console/login/").content.decode()
    username = re.search(r"<input[^>]*id=\"id_username\"[^>]*>", html).group(0)
    password = re.search(r"<input[^>]*id=\"id_password\"[^>]*>", html).group(0)
    assert "style=" not in username and "style=" not in password
    css = (settings.BASE_DIR / "statuspage" / "static" / "site.css").read_text()
    assert 'rel="stylesheet" href="/static/site.css"' in html
    assert re.search(r"input\[type=password\]", css), "the layout's stylesheet does not style password boxes"


def test_a_general_incident_needs_no_affected_component(responder_client, component):
    response = responder_client.post(
        "/console/incidents/new/",
        {
            "name": "Delayed emails from our provider",
            "status": "investigating",
            "impact": "",
            "body": "Some notification emails arrive late.",
            "publish": "on",
            f"component_{component.pk}": "",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert list(incident.components.all()) == []
    # As Statuspage: the impact comes from the affected components, so with none it is "none".
    assert incident.impact == Impact.NONE and incident.is_published


def test_the_incident_page_shows_status_labels_not_enums(responder_client, component):
    incident = declare_incident(
        "Slow", "Looking.", "investigating", {component.pk: ComponentStatus.DEGRADED}, impact=Impact.MINOR
    )
    text = visible_text(responder_client.get(f"/console/incidents/{incident.pk}/").content.decode())
    assert "Operational → Degraded performance" in text
    assert "Impact: Minor" in text
    for raw in RAW + ["operational ->", " minor"]:
        assert raw not in text


def test_the_dashboard_shows_labels_not_enums(responder_client, component):
    Probe.objects.create(component=component, name="push")
    Probe.objects.create(component=component, name="status.json over HTTP", kind="http")
    declare_incident("Slow", "Looking.", "investigating", {component.pk: ComponentStatus.PARTIAL_OUTAGE})
    text = visible_text(responder_client.get("/console/").content.decode())
    assert "Push (results webhook)" in text and "push (" not in text
    assert "status.json over HTTP (HTTP(S))" in text
    assert "Investigating · Impact: Major" in text
    for raw in RAW:
        assert raw not in text


def test_the_deliveries_pages_show_status_labels_not_enums(client, component):
    admin = get_user_model().objects.create_superuser("ada", "ada@example.com", "pw-for-tests-only")
    client.force_login(admin)
    set_status_by_staff(component, ComponentStatus.MAJOR_OUTAGE, actor=admin)
    text = visible_text(client.get("/console/events/").content.decode())
    assert "Operational → Major outage" in text
    for raw in RAW:
        assert raw not in text
    event = Event.objects.get(component=component)
    text = visible_text(client.get(f"/console/events/{event.pk}/").content.decode())
    assert "Operational → Major outage" in text
    for raw in RAW:
        assert raw not in text
