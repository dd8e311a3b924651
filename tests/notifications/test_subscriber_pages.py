"""Subscribers belong to one page: sign-up, links, choices, fan-out and messages follow their page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import Component, Event, EventKind, Incident, PageComponent, StatusPage
from incidents.timeline.incident_lifecycle import open_incident
from incidents.timeline.page_setup import ensure_default_page
from notifications.delivery import subscriber_links
from notifications.delivery.channels.base import DeliveryError
from notifications.delivery.channels.sms import BaseBackend
from notifications.delivery.fanout import fan_out
from notifications.delivery.sending import send_delivery
from notifications.models import Channel, Delivery, Subscriber
from notifications.providers import anymail_tracking
from tests.notifications.signup.proofs import email_link

pytestmark = pytest.mark.django_db

PHONE = "+14155550123"


@pytest.fixture
def main() -> StatusPage:
    return ensure_default_page()


@pytest.fixture
def shared(main) -> Component:
    """On the default page (it takes new components) and on the partner page."""
    return Component.objects.create(name="Public API", position=1)


@pytest.fixture
def private_only(main) -> Component:
    """Only on the partner page."""
    component = Component.objects.create(name="Partner sync", position=2)
    PageComponent.objects.filter(component=component).delete()
    return component


@pytest.fixture
def partner(shared, private_only) -> StatusPage:
    page = StatusPage.objects.create(name="Partner Status", slug="partner", accent_colour="#aa3300")
    PageComponent.objects.create(page=page, component=shared, position=1)
    PageComponent.objects.create(page=page, component=private_only, position=2)
    return page


def subscriber(page: StatusPage, email: str | None = "ada@example.com", phone: str | None = None, **fields):
    now = timezone.now()
    return Subscriber.objects.create(
        page=page,
        email=email,
        phone=phone,
        email_confirmed_at=now if email else None,
        phone_confirmed_at=now if phone else None,
        **fields,
    )


def incident_event(*components: Component) -> Event:
    incident = open_incident(Incident(name="Slow syncs", impact="minor"), "Looking.", components=components)
    return Event.objects.get(incident=incident, kind=EventKind.INCIDENT_CREATED)


def run(event: Event) -> list[Delivery]:
    fan_out(event.pk, enqueue=lambda ids: None)
    return list(Delivery.objects.filter(event=event).select_related("subscriber"))


# --- fan-out


def test_a_subscriber_of_one_page_is_not_told_about_another_pages_incident(main, partner, private_only):
    on_main = subscriber(main, "main@example.com")
    on_partner = subscriber(partner, "partner@example.com")

    deliveries = run(incident_event(private_only))

    assert [d.subscriber_id for d in deliveries] == [on_partner.pk]
    assert on_main.pk not in {d.subscriber_id for d in deliveries}


def test_a_default_page_subscriber_is_told_once_about_an_incident_on_both_pages(main, partner, shared):
    person = subscriber(main, phone=PHONE)

    deliveries = run(incident_event(shared, shared))

    mine = [(d.subscriber_id, d.channel) for d in deliveries if d.subscriber_id == person.pk]
    assert sorted(mine) == [(person.pk, Channel.EMAIL), (person.pk, Channel.SMS)]


def test_a_component_change_reaches_only_the_pages_holding_the_component(main, partner, private_only):
    subscriber(main, "main@example.com", event_kinds=[EventKind.COMPONENT_STATUS_CHANGED])
    on_partner = subscriber(partner, "partner@example.com", event_kinds=[EventKind.COMPONENT_STATUS_CHANGED])
    event = Event.objects.create(kind=EventKind.COMPONENT_STATUS_CHANGED, component=private_only)

    assert [d.subscriber_id for d in run(event)] == [on_partner.pk]


def test_the_same_email_on_two_pages_gets_one_message_each_in_its_pages_words(
    main, partner, shared, private_only, settings
):
    settings.DEFAULT_FROM_EMAIL = "Alerts <alerts@example.com>"
    on_main, on_partner = subscriber(main), subscriber(partner)

    deliveries = run(incident_event(shared, private_only))
    for delivery in deliveries:
        send_delivery(delivery.pk)

    assert sorted(d.subscriber_id for d in deliveries) == sorted([on_main.pk, on_partner.pk])
    assert len(mail.outbox) == 2
    by_sender = {message.from_email: message for message in mail.outbox}
    assert set(by_sender) == {f"{main.name} <alerts@example.com>", "Partner Status <alerts@example.com>"}
    to_partner = by_sender["Partner Status <alerts@example.com>"]
    to_main = by_sender[f"{main.name} <alerts@example.com>"]
    assert to_partner.subject.startswith("[Partner Status]")
    assert f"{settings.SITE_URL}/p/partner/incidents/" in to_partner.body
    assert "Affects: Public API, Partner sync" in to_partner.body
    assert to_partner.extra_headers["List-Unsubscribe"].startswith(
        f"<{settings.SITE_URL}/p/partner/unsubscribe/"
    )
    assert f"{settings.SITE_URL}/p/partner/subscribe/manage/" in to_partner.body
    assert "#aa3300" in to_partner.alternatives[0][0]
    # The default page's reader is not told about the partner page's component, nor sent there.
    assert "Partner sync" not in to_main.body and "Partner sync" not in to_main.alternatives[0][0]
    assert "Affects: Public API" in to_main.body
    assert "/p/partner/" not in to_main.body
    assert f"{settings.SITE_URL}/incidents/" in to_main.body


# --- sign-up and links


def test_signing_up_under_a_page_subscribes_to_that_page_and_confirms_there(client, main, partner):
    subscriber(main, "ada@example.com")

    response = client.post("/p/partner/subscribe/", {"email": "ada@example.com"})
    assert response.status_code == 302 and response["Location"] == "/p/partner/subscribe/check-email/"
    link = email_link("ada@example.com")
    assert link.startswith("/p/partner/subscribe/confirm/")
    assert mail.outbox[-1].from_email.startswith("Partner Status")
    # The proof is for the partner page: opened on the default page it confirms nothing.
    assert client.get(link.removeprefix("/p/partner")).status_code == 400
    assert client.get(link).status_code == 200

    rows = Subscriber.objects.filter(email="ada@example.com")
    assert {(s.page_id, bool(s.email_confirmed_at)) for s in rows} == {(main.pk, True), (partner.pk, True)}


def test_a_manage_or_unsubscribe_link_does_nothing_on_another_page(client, main, partner):
    person = subscriber(partner)
    manage = urlsplit(subscriber_links.manage_url(person)).path
    unsubscribe = urlsplit(subscriber_links.unsubscribe_url(person, Channel.EMAIL)).path
    assert manage.startswith("/p/partner/") and unsubscribe.startswith("/p/partner/")

    elsewhere = [manage.removeprefix("/p/partner"), unsubscribe.removeprefix("/p/partner")]
    assert client.get(elsewhere[0]).status_code == 404
    assert client.post(elsewhere[0], {"channels": [], "all_components": "1"}).status_code == 404
    assert client.post(elsewhere[0] + "delete/").status_code == 404
    assert client.post(elsewhere[1]).status_code == 404
    assert b"ada@example.com" not in client.get(elsewhere[0]).content
    person.refresh_from_db()
    assert person.email_opted_out_at is None

    assert client.get(manage).status_code == 200


def test_choices_on_a_page_list_only_its_components_and_a_forged_one_is_refused(
    client, main, partner, shared, private_only
):
    elsewhere = Component.objects.create(name="Billing", position=3)  # on the default page only
    person = subscriber(partner)
    manage = urlsplit(subscriber_links.manage_url(person)).path

    page = client.get(manage).content.decode()
    offered = set(re.findall(r'name="components" value="(\d+)"', page))
    assert offered == {str(shared.pk), str(private_only.pk)}

    forged = {"channels": ["email"], "all_components": "0", "event_kinds": ["incident.created"]}
    response = client.post(manage, {**forged, "components": [str(elsewhere.pk)]})
    assert response.status_code == 400
    person.refresh_from_db()
    assert person.all_components is True and not person.components.exists()

    response = client.post(manage, {**forged, "components": [str(private_only.pk)]})
    assert response.status_code == 200
    assert list(person.components.all()) == [private_only]


# --- what a provider says about an address


def test_a_hard_bounce_suppresses_the_address_on_every_page(main, partner):
    rows = [subscriber(main), subscriber(partner), subscriber(main, "other@example.com")]

    class Bounce:
        recipient, event_type, metadata, message_id = "ada@example.com", "bounced", {}, None

    anymail_tracking.on_tracking_event(None, Bounce(), "test")

    suppressed = [bool(Subscriber.objects.get(pk=s.pk).email_suppressed_at) for s in rows]
    assert suppressed == [True, True, False]


def test_a_permanent_sms_failure_suppresses_the_number_on_every_page(main, partner, shared, settings):
    class Invalid(BaseBackend):
        def send(self, to: str, body: str) -> str:
            raise DeliveryError("invalid number", permanent=True)

    settings.SMS_BACKEND = f"{__name__}.Invalid"
    globals()["Invalid"] = Invalid
    rows = [subscriber(main, None, PHONE), subscriber(partner, None, PHONE)]
    event = incident_event(shared)
    delivery = Delivery.objects.create(event=event, subscriber=rows[0], channel=Channel.SMS)

    send_delivery(delivery.pk)

    assert all(Subscriber.objects.get(pk=s.pk).phone_suppressed_at for s in rows)
