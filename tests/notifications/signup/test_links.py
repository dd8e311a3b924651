"""Manage and unsubscribe links: opaque, revocable, bound to the address; older links still honoured."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client
from django.utils import timezone

from notifications.delivery import subscriber_links
from notifications.models import Channel, Subscriber, new_link_key

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def person() -> Subscriber:
    now = timezone.now()
    return Subscriber.objects.create(
        email="reader@example.com", phone="+14155552671", email_confirmed_at=now, phone_confirmed_at=now
    )


def path_of(url: str) -> str:
    return urlsplit(url).path


def one_click(path: str):
    return Client(enforce_csrf_checks=True).post(
        path, ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )


def test_every_subscriber_gets_their_own_random_link_key():
    keys = {Subscriber.objects.create(email=f"p{n}@example.com").link_key for n in range(20)}

    assert len(keys) == 20
    assert all(len(key) == 24 for key in keys)


def test_the_manage_link_is_the_key_and_a_signature_and_opens_the_page(client, person):
    token = path_of(subscriber_links.manage_url(person)).split("/")[-2]

    assert token.split(":")[0] == person.link_key
    assert str(person.pk) not in token.split(":")
    assert client.get(f"/subscribe/manage/{token}/").status_code == 200


def test_a_key_without_its_signature_opens_nothing(client, person):
    assert client.get(f"/subscribe/manage/{person.link_key}/").status_code == 400
    assert client.get(f"/subscribe/manage/{person.link_key}:{'A' * 43}/").status_code == 400


def test_a_new_key_revokes_every_link_sent_so_far(client, person):
    manage = path_of(subscriber_links.manage_url(person))
    unsubscribe = path_of(subscriber_links.unsubscribe_url(person, Channel.EMAIL))

    Subscriber.objects.filter(pk=person.pk).update(link_key=new_link_key())

    assert client.get(manage).status_code == 400
    assert client.get(unsubscribe).status_code == 400


def test_an_sms_unsubscribe_link_cannot_be_turned_into_an_email_one(person):
    token = path_of(subscriber_links.unsubscribe_url(person, Channel.SMS)).split("/")[-2]
    as_email = token.replace(".s:", ".e:")

    assert one_click(f"/unsubscribe/{as_email}/").status_code == 400
    assert one_click(f"/unsubscribe/{token}/").status_code == 200
    person.refresh_from_db()
    assert person.confirmed_channels() == [Channel.EMAIL]


# --- links in messages sent before links became opaque


def legacy_manage(person: Subscriber) -> str:
    return f"/subscribe/manage/{signing.dumps(person.pk, salt='notifications.manage')}/"


def legacy_unsubscribe(person: Subscriber, channel: str, address: str) -> str:
    return f"/unsubscribe/{signing.dumps([person.pk, channel, address], salt='notifications.unsubscribe')}/"


def test_a_manage_link_from_an_older_message_still_opens_the_page(client, person):
    assert client.get(legacy_manage(person)).status_code == 200


def test_a_one_click_unsubscribe_from_an_older_message_still_works(person):
    assert one_click(legacy_unsubscribe(person, "email", person.email)).status_code == 200

    person.refresh_from_db()
    assert person.confirmed_channels() == [Channel.SMS]


def test_an_older_unsubscribe_link_for_an_address_changed_since_is_refused(person):
    assert one_click(legacy_unsubscribe(person, "email", "old@example.com")).status_code == 400


def test_older_links_stop_working_once_turned_off(client, person, settings):
    settings.LEGACY_SUBSCRIBER_LINKS = False

    assert client.get(legacy_manage(person)).status_code == 400
    assert one_click(legacy_unsubscribe(person, "email", person.email)).status_code == 400
    assert client.get(path_of(subscriber_links.manage_url(person))).status_code == 200
