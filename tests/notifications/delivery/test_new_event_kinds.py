"""The maintenance reminder and the published postmortem: chosen like other events, sent as real messages."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from django.core import mail

from incidents.models import Component, Event, EventKind, Incident, IncidentStatus
from incidents.timeline.incident_lifecycle import declare_incident, post_update, publish_postmortem
from incidents.timeline.maintenance import run_maintenance_schedule, schedule_maintenance
from incidents.timeline.page_setup import ensure_default_page
from notifications.delivery.fanout import fan_out
from notifications.delivery.rendering import first_lines, template_for, window_length
from notifications.delivery.sending import Outcome, send_delivery
from notifications.models import DEFAULT_EVENT_KINDS, Delivery, Subscriber
from notifications.signup.choices import summarize
from notifications.signup.forms import PreferencesForm

pytestmark = pytest.mark.django_db

START = datetime(2031, 3, 4, 18, 30, tzinfo=UTC)  # a Tuesday; 19:30 CET in Berlin
POSTMORTEM = """## Summary

A schema migration locked the orders table for 7 minutes.
We now run migrations with a lock timeout.

## Timeline
- 14:02 deploy starts
"""


def subscriber(*kinds: str, components: list[Component] = (), **addresses) -> Subscriber:
    now = datetime.now(UTC)
    person = Subscriber.objects.create(
        email=addresses.get("email", "reader@example.com"),
        email_confirmed_at=now,
        phone=addresses.get("phone", "+14155550100"),
        phone_confirmed_at=now,
        event_kinds=list(kinds),
        all_components=not components,
    )
    person.components.set(components)
    return person


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Fan out every event so far, in order, and send what it queued; return the Delivery rows."""

    def run() -> list[Delivery]:
        queued: list[int] = []
        for event_id in Event.objects.order_by("id").values_list("pk", flat=True):
            with django_capture_on_commit_callbacks(execute=True):
                fan_out(event_id, enqueue=queued.extend)
        for delivery_id in queued:
            assert send_delivery(delivery_id) is Outcome.SENT
        return list(Delivery.objects.select_related("event").order_by("id"))

    return run


def email_parts(message) -> tuple[str, str, str]:
    sent = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    return sent["Subject"], sent.get_body(("plain",)).get_content(), sent.get_body(("html",)).get_content()


@pytest.fixture
def berlin(component) -> None:
    page = ensure_default_page()
    page.time_zone = "Europe/Berlin"
    page.save()


def upgrade(component) -> Incident:
    return schedule_maintenance(
        "Database upgrade", "We upgrade the primary.", [component], START, START + timedelta(minutes=150)
    )


# --- The maintenance reminder


def test_a_subscriber_who_chose_only_the_reminder_gets_exactly_the_reminder(
    component, berlin, deliver, sms_outbox
):
    subscriber(EventKind.MAINTENANCE_REMINDER)
    window = upgrade(component)
    run_maintenance_schedule(START - timedelta(minutes=30))
    run_maintenance_schedule(START + timedelta(minutes=1))  # started: not chosen
    assert set(Event.objects.values_list("kind", flat=True)) == {
        EventKind.MAINTENANCE_SCHEDULED,
        EventKind.MAINTENANCE_REMINDER,
        EventKind.MAINTENANCE_STARTED,
        EventKind.COMPONENT_STATUS_CHANGED,  # the component went under maintenance
    }

    deliveries = deliver()

    assert {d.event.kind for d in deliveries} == {EventKind.MAINTENANCE_REMINDER}
    assert len(mail.outbox) == 1 and len(sms_outbox) == 1
    subject, text, html = email_parts(mail.outbox[0])
    assert subject == "[Example Status] Reminder: Database upgrade starts Tue 4 Mar, 18:30 UTC"
    assert "Reminder: scheduled maintenance starts soon.\n\nDatabase upgrade\n" in text
    assert "Starts: Tue 4 Mar 2031, 18:30 UTC (Tue 4 Mar, 19:30 CET, Europe/Berlin)\n" in text
    assert "Expected to last: 2 hours 30 minutes (until 21:00 UTC)\n" in text
    assert "Affects: Message queue eu-west\n" in text
    assert f"/incidents/{window.pk}/" in text
    assert "Tue 4 Mar 2031, 18:30 UTC</strong> (Tue 4 Mar, 19:30 CET, Europe/Berlin)" in html
    assert "Expected to last: 2 hours 30 minutes" in html
    assert sms_outbox[0].body.startswith(
        "Example Status: Reminder: Database upgrade starts Tue 4 Mar 18:30 UTC (19:30 CET),"
        " for 2 hours 30 minutes. Affects: Message queue eu-west. http"
    )
    assert sms_outbox[0].body.endswith(f"/incidents/{window.pk}/")


def test_a_page_in_utc_says_the_time_once(component, deliver, sms_outbox):
    subscriber(EventKind.MAINTENANCE_REMINDER)
    upgrade(component)
    run_maintenance_schedule(START - timedelta(minutes=30))

    deliver()

    _, text, _ = email_parts(mail.outbox[0])
    assert "Starts: Tue 4 Mar 2031, 18:30 UTC\n" in text
    assert "starts Tue 4 Mar 18:30 UTC, for 2 hours 30 minutes." in sms_outbox[0].body


def test_the_reminder_reaches_only_those_who_chose_its_components(component, deliver):
    other = Component.objects.create(name="Search", position=2)
    fan = subscriber(
        EventKind.MAINTENANCE_REMINDER, components=[component], email="a@example.com", phone=None
    )
    subscriber(EventKind.MAINTENANCE_REMINDER, components=[other], email="b@example.com", phone=None)
    subscriber(EventKind.MAINTENANCE_SCHEDULED, email="c@example.com", phone=None)
    upgrade(component)
    run_maintenance_schedule(START - timedelta(minutes=30))

    deliveries = deliver()

    reminded = {d.subscriber_id for d in deliveries if d.event.kind == EventKind.MAINTENANCE_REMINDER}
    assert reminded == {fan.pk}


# --- The postmortem


def resolved_incident(component, **kwargs) -> Incident:
    incident = declare_incident(
        "Checkout errors", "Investigating.", "investigating", {component.pk: "major_outage"}, **kwargs
    )
    post_update(incident, IncidentStatus.RESOLVED, "Fixed.", component_statuses={component.pk: "operational"})
    return incident


def test_a_postmortem_is_announced_once_however_often_it_is_edited(component):
    incident = resolved_incident(component)

    publish_postmortem(incident, POSTMORTEM)
    publish_postmortem(incident, POSTMORTEM + "\n## Follow-ups\n")

    assert Event.objects.filter(incident=incident, kind=EventKind.INCIDENT_POSTMORTEM).count() == 1


def test_a_draft_incidents_postmortem_notifies_nobody(component):
    draft = resolved_incident(component, publish=False)

    publish_postmortem(draft, POSTMORTEM)

    assert not Event.objects.filter(kind=EventKind.INCIDENT_POSTMORTEM).exists()


def test_the_postmortem_message_links_to_the_incident_and_quotes_its_first_lines(
    component, deliver, sms_outbox
):
    subscriber(EventKind.INCIDENT_POSTMORTEM)
    incident = resolved_incident(component)
    publish_postmortem(incident, POSTMORTEM)

    deliveries = deliver()

    assert {d.event.kind for d in deliveries} == {EventKind.INCIDENT_POSTMORTEM}
    subject, text, html = email_parts(mail.outbox[0])
    assert subject == "[Example Status] Postmortem: Checkout errors"
    assert (
        "> Summary\n> A schema migration locked the orders table for 7 minutes.\n"
        "> We now run migrations with a lock timeout.\n"
    ) in text
    assert "Timeline" not in text
    assert f"Read the postmortem: http://localhost:8000/incidents/{incident.pk}/\n" in text
    assert "A schema migration locked the orders table for 7 minutes.<br>" in html
    assert f'href="http://localhost:8000/incidents/{incident.pk}/"' in html
    [sms] = sms_outbox
    assert sms.body == (
        f"Example Status: Postmortem published for Checkout errors: Summary "
        f"http://localhost:8000/incidents/{incident.pk}/"
    )


# --- Choosing them


def test_new_subscribers_get_both_by_default():
    assert EventKind.MAINTENANCE_REMINDER in DEFAULT_EVENT_KINDS
    assert EventKind.INCIDENT_POSTMORTEM in DEFAULT_EVENT_KINDS
    person = Subscriber.objects.create(email="new@example.com")
    assert {"maintenance.reminder", "incident.postmortem"} <= set(person.event_kinds)


def test_the_manage_page_offers_them_and_says_them(component):
    person = subscriber(EventKind.MAINTENANCE_REMINDER, EventKind.INCIDENT_POSTMORTEM)
    form = PreferencesForm(
        {"channels": ["email"], "all_components": "1", "event_kinds": ["maintenance.reminder"]},
        subscriber=person,
        page=person.page,
    )

    assert form.is_valid(), form.errors
    assert summarize(person).event_kinds == ["Postmortem published", "Maintenance reminder"]


def test_each_new_kind_has_its_own_template(component):
    window = upgrade(component)
    reminder = Event(kind=EventKind.MAINTENANCE_REMINDER, incident=window)
    postmortem = Event(kind=EventKind.INCIDENT_POSTMORTEM, incident=window)
    scheduled = Event(kind=EventKind.MAINTENANCE_SCHEDULED, incident=window)

    assert template_for(reminder) == "maintenance_reminder"
    assert template_for(postmortem) == "incident_postmortem"
    assert template_for(scheduled) == "incident_update"


def test_window_lengths_and_first_lines_read_as_words():
    assert window_length(START, START + timedelta(minutes=60)) == "1 hour"
    assert window_length(START, START + timedelta(days=1, minutes=5)) == "1 day 5 minutes"
    assert window_length(START, None) == ""
    assert first_lines("# Title\n\n\nOne\nTwo\nThree") == ["Title", "One", "Two"]
