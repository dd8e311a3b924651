from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from incidents.models import Event, EventKind, Incident, IncidentStatus, IncidentUpdate
from incidents.timeline.incident_lifecycle import open_incident

ADD_URL = "/admin/incidents/incident/add/"
SUMMARY_URL = "/api/v2/summary.json"

pytestmark = pytest.mark.django_db


def change_url(incident: Incident) -> str:
    return f"/admin/incidents/incident/{incident.pk}/change/"


def inline_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the updates inline (management form and row ids), as rendered."""
    prefix = re.search(r'name="([\w-]+)-TOTAL_FORMS"', html).group(1)
    fields = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        name = re.search(r'\bname="([^"]*)"', tag)
        if name and name.group(1).startswith(f"{prefix}-"):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


def declare(client, component, **overrides):
    data = {
        **inline_fields(client.get(ADD_URL).content.decode()),
        "name": "Delayed messages in eu-west",
        "status": IncidentStatus.INVESTIGATING,
        "impact": "major",
        "components": [component.pk],
        "message": "We are investigating delayed delivery of messages.",
        "_save": "Save",
        **overrides,
    }
    return client.post(ADD_URL, data)


def edit(client, incident: Incident, **overrides):
    data = {
        **inline_fields(client.get(change_url(incident)).content.decode()),
        "name": incident.name,
        "impact": incident.impact,
        "components": [c.pk for c in incident.components.all()],
        "update_status": "",
        "update_message": "",
        "_save": "Save",
        **overrides,
    }
    return client.post(change_url(incident), data)


def forged_incident(component) -> dict:
    """A complete add-form post, for clients that cannot load the form first."""
    return {
        "name": "Fake outage",
        "status": IncidentStatus.INVESTIGATING,
        "impact": "critical",
        "components": [component.pk],
        "message": "Not really.",
        "updates-TOTAL_FORMS": "0",
        "updates-INITIAL_FORMS": "0",
        "updates-MIN_NUM_FORMS": "0",
        "updates-MAX_NUM_FORMS": "0",
        "_save": "Save",
    }


def listed_incident_ids(client) -> list[str]:
    response = client.get(SUMMARY_URL)
    assert response.status_code == 200
    return [incident["id"] for incident in response.json()["incidents"]]


@pytest.fixture
def incident(component) -> Incident:
    return open_incident(
        Incident(name="Delayed messages in eu-west", impact="major"),
        "We are investigating.",
        components=[component],
    )


def test_add_form_has_the_updates_inline_management_form(staff_client):
    fields = inline_fields(staff_client.get(ADD_URL).content.decode())

    assert fields["updates-TOTAL_FORMS"] == "0"
    assert "updates-INITIAL_FORMS" in fields


def test_staff_declare_an_incident_with_its_first_update_and_event(
    staff_client, component, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = declare(staff_client, component)

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/admin/incidents/incident/"
    incident = Incident.objects.get()
    assert incident.name == "Delayed messages in eu-west"
    assert incident.status == IncidentStatus.INVESTIGATING
    assert incident.impact == "major"
    assert list(incident.components.all()) == [component]
    update = incident.updates.get()
    assert update.status == IncidentStatus.INVESTIGATING
    assert update.body == "We are investigating delayed delivery of messages."
    event = Event.objects.get()
    assert event.kind == EventKind.INCIDENT_CREATED
    assert (event.incident, event.incident_update) == (incident, update)
    # The fan-out is enqueued only once the transaction commits.
    assert len(callbacks) == 1


def test_a_declared_incident_is_listed_in_the_public_summary(staff_client, client, component):
    declare(staff_client, component)
    incident = Incident.objects.get()

    client.logout()
    response = client.get(SUMMARY_URL)

    assert response.status_code == 200
    [listed] = response.json()["incidents"]
    assert listed["id"] == str(incident.pk)
    assert listed["name"] == incident.name
    assert listed["status"] == "investigating"
    assert listed["impact"] == "major"
    assert [u["body"] for u in listed["incident_updates"]] == [incident.updates.get().body]
    assert [c["id"] for c in listed["components"]] == [str(component.pk)]


def test_declaring_an_incident_without_a_message_is_a_form_error_and_creates_nothing(staff_client, component):
    response = declare(staff_client, component, message="")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["message"]
    assert not Incident.objects.exists()
    assert not Event.objects.exists()


def test_resolving_through_the_change_view_records_the_event_and_leaves_the_summary(
    staff_client, incident, django_capture_on_commit_callbacks
):
    assert listed_incident_ids(staff_client) == [str(incident.pk)]

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = edit(
            staff_client, incident, update_status=IncidentStatus.RESOLVED, update_message="All caught up."
        )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at is not None
    latest = incident.updates.first()
    assert (latest.status, latest.body) == (IncidentStatus.RESOLVED, "All caught up.")
    event = Event.objects.get(kind=EventKind.INCIDENT_RESOLVED)
    assert (event.incident, event.incident_update) == (incident, latest)
    assert len(callbacks) == 1
    assert listed_incident_ids(staff_client) == []


def test_an_intermediate_update_records_an_updated_event_and_keeps_the_incident_listed(
    staff_client, incident
):
    response = edit(
        staff_client, incident, update_status=IncidentStatus.IDENTIFIED, update_message="A shard is full."
    )

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.IDENTIFIED
    assert incident.resolved_at is None
    assert Event.objects.filter(kind=EventKind.INCIDENT_UPDATED).count() == 1
    assert listed_incident_ids(staff_client) == [str(incident.pk)]


def test_editing_without_a_new_update_changes_fields_but_records_no_update(staff_client, incident):
    response = edit(staff_client, incident, name="Delayed messages in all regions")

    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.name == "Delayed messages in all regions"
    assert incident.updates.count() == 1
    assert Event.objects.count() == 1


@pytest.mark.parametrize(
    "update",
    [
        {"update_status": IncidentStatus.RESOLVED, "update_message": ""},
        {"update_status": IncidentStatus.RESOLVED, "update_message": "   "},
        {"update_status": "", "update_message": "Some words without a status."},
    ],
)
def test_an_update_needs_both_a_status_and_a_message(staff_client, incident, update):
    response = edit(staff_client, incident, **update)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.INVESTIGATING
    assert incident.resolved_at is None
    assert IncidentUpdate.objects.count() == 1
    assert list(Event.objects.values_list("kind", flat=True)) == [EventKind.INCIDENT_CREATED]


def test_an_unknown_update_status_is_a_form_error(staff_client, incident):
    response = edit(staff_client, incident, update_status="exploded", update_message="Boom.")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["update_status"]
    assert IncidentUpdate.objects.count() == 1


def test_anonymous_users_are_sent_to_the_login_page_and_create_nothing(client, component):
    for response in (client.get(ADD_URL), client.post(ADD_URL, forged_incident(component))):
        assert response.status_code == 302
        assert urlsplit(response["Location"]).path == "/admin/login/"
    assert not Incident.objects.exists()
    assert not Event.objects.exists()


def test_the_same_post_from_staff_declares_the_incident(staff_client, component):
    # Guards the access tests above: their post is refused for who sends it, not for its content.
    response = staff_client.post(ADD_URL, forged_incident(component))

    assert response.status_code == 302
    assert Incident.objects.get().name == "Fake outage"


def test_anonymous_users_cannot_resolve_an_incident(client, incident):
    response = client.post(
        change_url(incident), {"update_status": IncidentStatus.RESOLVED, "update_message": "Not really."}
    )

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/admin/login/"
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.INVESTIGATING
    assert not Event.objects.filter(kind=EventKind.INCIDENT_RESOLVED).exists()


def test_a_signed_in_user_who_is_not_staff_is_sent_to_the_login_page(client, component):
    user = get_user_model().objects.create_user("customer", "customer@example.com", "pw-for-tests-only")
    client.force_login(user)

    response = client.post(ADD_URL, forged_incident(component))

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/admin/login/"
    assert not Incident.objects.exists()


def test_staff_without_the_add_permission_are_forbidden_and_create_nothing(client, component):
    user = get_user_model().objects.create_user(
        "intern", "intern@example.com", "pw-for-tests-only", is_staff=True
    )
    client.force_login(user)

    response = client.post(ADD_URL, forged_incident(component))

    assert response.status_code == 403
    assert not Incident.objects.exists()
    assert not Event.objects.exists()
