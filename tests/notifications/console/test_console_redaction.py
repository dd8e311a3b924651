"""Subscriber and delivery pages: addresses, and providers' errors that quote them, for Admins only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents.models import Event, EventKind
from notifications.models import Channel, Delivery, DeliveryStatus, ImportJob, Subscriber
from statuspage.staff import mask_addresses

pytestmark = pytest.mark.django_db

EMAIL = "alice.private@example.org"
PHONE = "+14155552671"
ROLES = ["Viewer", "Responder", "Admin"]


def user_in(role: str):
    user = get_user_model().objects.create_user(role.lower(), password="pw-for-tests-only")
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def deliveries(db) -> Event:
    subscriber = Subscriber.objects.create(
        email=EMAIL, phone=PHONE, email_confirmed_at=timezone.now(), phone_confirmed_at=timezone.now()
    )
    event = Event.objects.create(kind=EventKind.INCIDENT_CREATED)
    Delivery.objects.create(
        event=event,
        subscriber=subscriber,
        channel=Channel.SMS,
        status=DeliveryStatus.FAILED,
        error=f"21211: The 'To' number {PHONE} is not a valid phone number.",
    )
    Delivery.objects.create(
        event=event,
        subscriber=subscriber,
        channel=Channel.EMAIL,
        status=DeliveryStatus.FAILED,
        error=f"550 5.1.1 <{EMAIL}>: Recipient address rejected",
    )
    return event


@pytest.mark.parametrize("role", ["Viewer", "Responder"])
def test_deliveries_by_event_name_no_address_to_viewers_and_responders(client, role, deliveries):
    client.force_login(user_in(role))
    for path in ["/console/events/", f"/console/events/{deliveries.pk}/"]:
        html = client.get(path).content.decode()
        assert EMAIL not in html and PHONE not in html and "4155552671" not in html, path
    html = client.get(f"/console/events/{deliveries.pk}/").content.decode()
    assert "(number hidden)" in html and "(address hidden)" in html and "550 5.1.1" in html


def test_deliveries_by_event_show_addresses_to_admins(client, deliveries):
    client.force_login(user_in("Admin"))
    html = client.get(f"/console/events/{deliveries.pk}/").content.decode()
    assert EMAIL in html and PHONE in html


@pytest.mark.parametrize("role", ["Viewer", "Responder"])
def test_the_subscriber_pages_are_closed_to_viewers_and_responders(client, role, deliveries):
    job = ImportJob.objects.create(filename="x.csv", contents=f"email\n{EMAIL}\n", total=1)
    client.force_login(user_in(role))
    for path in [
        "/console/subscribers/",
        "/console/subscribers/export.csv",
        "/console/subscribers/import/",
        f"/console/subscribers/import/{job.pk}/",
    ]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert EMAIL not in response.content.decode()


def test_the_subscriber_pages_show_addresses_to_admins(client, deliveries):
    client.force_login(user_in("Admin"))
    html = client.get("/console/subscribers/").content.decode()
    assert EMAIL in html and PHONE in html
    export = b"".join(client.get("/console/subscribers/export.csv").streaming_content).decode()
    assert EMAIL in export and PHONE in export


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "21211: The 'To' number +1 415 555 2671 is not valid",
            "21211: The 'To' number (number hidden) is not valid",
        ),
        ("550 5.1.1 <bob@example.com>: rejected", "550 5.1.1 <(address hidden)>: rejected"),
        ("timeout after 10.0 s (HTTP 503)", "timeout after 10.0 s (HTTP 503)"),
        ("", ""),
    ],
)
def test_mask_addresses_hides_numbers_and_addresses_but_keeps_error_codes(text, shown):
    assert mask_addresses(text) == shown
