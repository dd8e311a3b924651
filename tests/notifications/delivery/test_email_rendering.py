"""The incident email as it is sent: its text part and its HTML part name the affected components."""

from __future__ import annotations

import email
from email import policy

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import Component, ComponentGroup, Event, EventKind, Incident
from incidents.timeline.incident_lifecycle import open_incident
from notifications.delivery.sending import Outcome, send_delivery
from notifications.models import Channel, Delivery, Subscriber

pytestmark = pytest.mark.django_db


def sent_parts(incident: Incident) -> tuple[str, str]:
    """Send the incident's first email to one subscriber; return its text and HTML parts as sent."""
    person = Subscriber.objects.create(email="reader@example.com", email_confirmed_at=timezone.now())
    event = Event.objects.get(incident=incident, kind=EventKind.INCIDENT_CREATED)
    delivery = Delivery.objects.create(event=event, subscriber=person, channel=Channel.EMAIL)
    assert send_delivery(delivery.pk) is Outcome.SENT
    assert len(mail.outbox) == 1
    # The bytes that go on the wire, parsed back as a mail client would.
    sent = email.message_from_bytes(mail.outbox[0].message().as_bytes(), policy=policy.default)
    return sent.get_body(("plain",)).get_content(), sent.get_body(("html",)).get_content()


def test_the_incident_email_names_its_one_affected_component_in_text_and_html():
    api = Component.objects.create(name="Public API", position=1)
    incident = open_incident(
        Incident(name="API errors", impact="major"), "We are investigating.", components=[api]
    )

    text, html = sent_parts(incident)

    assert "Affects: Public API\n" in text
    assert "QuerySet" not in text and "<Component" not in text
    assert "Affects: Public API</p>" in html
    assert "QuerySet" not in html and "&lt;Component" not in html


def test_the_incident_email_lists_several_components_by_name_escaped_only_in_html():
    group = ComponentGroup.objects.create(name="Message queue", position=1)
    components = [
        Component.objects.create(name="Message queue eu-west", group=group, position=1),
        Component.objects.create(name="Search & <indexing>", position=2),
    ]
    incident = open_incident(
        Incident(name="Slow deliveries", impact="minor"), "Looking into it.", components=components
    )

    text, html = sent_parts(incident)

    assert "Affects: Message queue eu-west, Search & <indexing>\n" in text
    assert "Affects: Message queue eu-west, Search &amp; &lt;indexing&gt;</p>" in html


def test_an_incident_with_no_components_has_no_affects_line():
    incident = open_incident(Incident(name="Something odd", impact="minor"), "Looking into it.")

    text, html = sent_parts(incident)

    assert "Affects" not in text and "Affects" not in html
