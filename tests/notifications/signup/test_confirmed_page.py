"""The page a confirmation link opens says what the subscriber will actually get, the first time and again."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.utils import timezone

from incidents.models import Component, ComponentGroup, EventKind
from notifications.models import Channel, Subscriber
from notifications.signup.choices import save_choices
from tests.notifications.signup.proofs import link_for, text_code

pytestmark = pytest.mark.django_db

ALL_DEFAULT_KINDS = [
    "Incident created",
    "Incident updated",
    "Incident resolved",
    "Maintenance scheduled",
    "Maintenance started",
    "Maintenance completed",
]


@pytest.fixture
def components() -> dict[str, Component]:
    queue = ComponentGroup.objects.create(name="Message queue", position=1)
    return {
        c.name: c
        for c in [
            Component.objects.create(name="Message queue eu-west", group=queue, position=1),
            Component.objects.create(name="Public API", position=1),
        ]
    }


def page_text(response) -> str:
    """The visible text of the page's main card, whitespace collapsed."""
    body = response.content.decode()
    card = body[body.index('<section class="card">') : body.index("</section>")]
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", card)).split())


def confirm_link(subscriber: Subscriber) -> str:
    return link_for(subscriber)


def test_the_first_confirmation_states_the_default_choices(client, components):
    person = Subscriber.objects.create(email="alice@example.com")

    response = client.get(confirm_link(person))

    assert response.status_code == 200
    text = page_text(response)
    assert "Email to alice@example.com" in text
    assert "Every component" in text
    for kind in ALL_DEFAULT_KINDS:
        assert kind in text
    assert "Component status changed" not in text


def test_opening_the_link_again_states_the_one_component_they_chose(client, components):
    person = Subscriber.objects.create(email="alice@example.com")
    link = confirm_link(person)
    assert client.get(link).status_code == 200
    person.refresh_from_db()
    save_choices(
        person,
        channels=[Channel.EMAIL],
        all_components=False,
        components=[components["Public API"]],
        event_kinds=[EventKind.INCIDENT_CREATED, EventKind.INCIDENT_RESOLVED],
    )

    response = client.get(link)

    assert response.status_code == 200
    text = page_text(response)
    assert "every component" not in text.lower()
    assert "Public API" in text
    assert "Message queue eu-west" not in text
    assert "Incident created" in text and "Incident resolved" in text
    assert "Incident updated" not in text and "Maintenance" not in text
    assert "Email to alice@example.com" in text


def test_opening_the_link_again_after_unsubscribing_says_email_is_off(client, components):
    person = Subscriber.objects.create(email="alice@example.com")
    link = confirm_link(person)
    assert client.get(link).status_code == 200
    Subscriber.objects.filter(pk=person.pk).update(email_opted_out_at=timezone.now())

    text = page_text(client.get(link))

    assert "alice@example.com" in text
    assert "turned off" in text.lower()
    assert "will now receive" not in text


def test_the_page_after_the_sms_code_states_the_choices_for_text_messages(client, components, sms_outbox):
    response = client.post("/subscribe/", {"email": "", "phone": "+14155552671"})
    code = text_code("+14155552671")
    person = Subscriber.objects.get()
    Subscriber.objects.filter(pk=person.pk).update(all_components=False)
    person.components.set([components["Message queue eu-west"]])

    response = client.post(response["Location"], {"code": code})

    assert response.status_code == 200
    text = page_text(response)
    assert "SMS to +14155552671" in text
    assert "Message queue eu-west" in text
    assert "every component" not in text.lower()
