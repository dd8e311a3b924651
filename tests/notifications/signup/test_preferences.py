"""A subscriber's choices: the signed manage page, fan-out by them, RFC 8058 one-click unsubscribe."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Event,
    EventKind,
    Incident,
    IncidentStatus,
)
from incidents.monitoring.component_status import set_component_status
from incidents.timeline.incident_lifecycle import open_incident, post_update
from notifications.delivery import subscriber_links
from notifications.delivery.channels.email import message_id_for
from notifications.delivery.fanout import fan_out
from notifications.delivery.sending import Outcome, send_delivery
from notifications.models import DEFAULT_EVENT_KINDS, Channel, Delivery, DeliveryStatus, Subscriber
from tests.notifications.signup.proofs import email_link, text_code

pytestmark = pytest.mark.django_db

RESOLVED = str(EventKind.INCIDENT_RESOLVED)
CREATED = str(EventKind.INCIDENT_CREATED)
STATUS_CHANGED = str(EventKind.COMPONENT_STATUS_CHANGED)
ONE_CLICK = "List-Unsubscribe=One-Click"


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "input":
            self.inputs.append(dict(attrs))


def inputs(response, name: str) -> list[dict[str, str | None]]:
    parser = _Inputs()
    parser.feed(response.content.decode())
    return [i for i in parser.inputs if i.get("name") == name]


def ticked(response, name: str) -> set[str]:
    """The values of the inputs called `name` that the page shows checked."""
    return {i["value"] for i in inputs(response, name) if "checked" in i}


def path_of(url: str) -> str:
    return urlsplit(url).path


def tamper(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.fixture
def components(db) -> dict[str, Component]:
    """Four components in two groups; positions count within each group, as on the status page."""
    queue = ComponentGroup.objects.create(name="Message queue", position=1)
    data = ComponentGroup.objects.create(name="Data stores", position=2)
    return {
        c.name: c
        for c in [
            Component.objects.create(name="Message queue eu-west", group=queue, position=1),
            Component.objects.create(name="Message queue us-east", group=queue, position=2),
            Component.objects.create(name="Cache", group=data, position=1),
            Component.objects.create(name="Public API", position=1),
        ]
    }


def make_subscriber(n: int = 1, *, email: bool = True, sms: bool = True, **fields) -> Subscriber:
    now = timezone.now()
    return Subscriber.objects.create(
        email=f"user{n}@example.com" if email else None,
        phone=f"+1415555{n:04d}" if sms else None,
        email_confirmed_at=now if email else None,
        phone_confirmed_at=now if sms else None,
        **fields,
    )


@pytest.fixture
def person(db) -> Subscriber:
    return make_subscriber()


@pytest.fixture
def manage_path(person) -> str:
    return path_of(subscriber_links.manage_url(person))


def choices(**overrides) -> dict:
    data = {
        "channels": [Channel.EMAIL, Channel.SMS],
        "all_components": "1",
        "components": [],
        "event_kinds": [str(k) for k in DEFAULT_EVENT_KINDS],
    }
    data.update(overrides)
    return data


def state(subscriber: Subscriber) -> tuple:
    """Everything the manage page can change, for before/after comparisons."""
    subscriber.refresh_from_db()
    return (
        subscriber.email_opted_out_at,
        subscriber.phone_opted_out_at,
        subscriber.all_components,
        list(subscriber.event_kinds),
        sorted(subscriber.components.values_list("pk", flat=True)),
    )


# --- the manage page


def test_manage_link_points_at_the_site_and_opens_the_page_with_the_defaults(client, person, settings):
    url = subscriber_links.manage_url(person)
    assert url.startswith(settings.SITE_URL + "/subscribe/manage/")

    response = client.get(path_of(url))

    assert response.status_code == 200
    body = response.content.decode()
    assert "user1@example.com" in body and "+14155550001" in body
    assert ticked(response, "channels") == {Channel.EMAIL, Channel.SMS}
    assert ticked(response, "all_components") == {"1"}
    assert ticked(response, "components") == set()
    assert ticked(response, "event_kinds") == {str(k) for k in DEFAULT_EVENT_KINDS}


def test_manage_page_shows_the_current_choices(client, components, django_assert_max_num_queries):
    person = make_subscriber(all_components=False, event_kinds=[RESOLVED], phone_opted_out_at=timezone.now())
    person.components.set([components["Message queue eu-west"], components["Cache"]])

    path = path_of(subscriber_links.manage_url(person))  # (and the process reads its pages once)

    with django_assert_max_num_queries(5):
        response = client.get(path)

    assert response.status_code == 200
    assert ticked(response, "channels") == {Channel.EMAIL}
    assert ticked(response, "all_components") == {"0"}
    assert ticked(response, "components") == {
        str(components["Message queue eu-west"].pk),
        str(components["Cache"].pk),
    }
    assert {i["value"] for i in inputs(response, "components")} == {str(c.pk) for c in components.values()}
    assert ticked(response, "event_kinds") == {RESOLVED}


def test_manage_page_offers_only_confirmed_channels(client):
    person = Subscriber.objects.create(
        email="half@example.com", phone="+14155550009", email_confirmed_at=timezone.now()
    )

    response = client.get(path_of(subscriber_links.manage_url(person)))

    assert {i["value"] for i in inputs(response, "channels")} == {Channel.EMAIL}
    assert "+14155550009" not in response.content.decode()


def test_each_group_appears_once_on_the_manage_page(client, components, manage_path):
    response = client.get(manage_path)

    group_boxes = [i["value"] for i in inputs(response, "groups")]
    assert sorted(group_boxes) == sorted({str(c.group_id) for c in components.values() if c.group_id})


def test_saving_only_the_components_i_pick_with_two_components_and_two_kinds_stores_them(
    client, person, components, manage_path
):
    picked = [components["Message queue eu-west"], components["Cache"]]

    response = client.post(
        manage_path,
        choices(all_components="0", components=[c.pk for c in picked], event_kinds=[CREATED, RESOLVED]),
    )

    assert response.status_code == 200
    assert "Saved." in response.content.decode()
    person.refresh_from_db()
    assert person.all_components is False
    assert set(person.components.all()) == set(picked)
    assert person.event_kinds == [CREATED, RESOLVED]
    assert person.confirmed_channels() == [Channel.EMAIL, Channel.SMS]
    # The page shown after saving, and a fresh visit, both show what was stored.
    for page in (response, client.get(manage_path)):
        assert ticked(page, "all_components") == {"0"}
        assert ticked(page, "components") == {str(c.pk) for c in picked}
        assert ticked(page, "event_kinds") == {CREATED, RESOLVED}


def test_choosing_every_component_again_forgets_the_picked_ones(client, person, components, manage_path):
    client.post(manage_path, choices(all_components="0", components=[components["Cache"].pk]))

    response = client.post(manage_path, choices(all_components="1", components=[components["Cache"].pk]))

    assert response.status_code == 200
    person.refresh_from_db()
    assert person.all_components is True
    assert not person.components.exists()


def test_picking_a_group_selects_all_its_components(client, person, components, manage_path):
    queue = components["Message queue eu-west"].group

    response = client.post(
        manage_path, choices(all_components="0", groups=[queue.pk], components=[components["Cache"].pk])
    )

    assert response.status_code == 200
    assert set(person.components.values_list("name", flat=True)) == {
        "Message queue eu-west",
        "Message queue us-east",
        "Cache",
    }
    assert ticked(client.get(manage_path), "components") == {
        str(components[name].pk) for name in ("Message queue eu-west", "Message queue us-east", "Cache")
    }


def test_only_the_components_i_pick_with_none_picked_is_a_form_error_that_changes_nothing(
    client, person, components, manage_path
):
    person.components.set([components["Cache"]])
    Subscriber.objects.filter(pk=person.pk).update(all_components=False, event_kinds=[RESOLVED])
    before = state(person)

    response = client.post(manage_path, choices(all_components="0", components=[], event_kinds=[CREATED]))

    assert response.status_code == 400
    assert "Pick at least one component" in response.content.decode()
    assert "Saved." not in response.content.decode()
    assert state(person) == before


@pytest.mark.parametrize(
    "bad",
    [
        {"event_kinds": []},
        {"event_kinds": ["incident.exploded"]},
        {"all_components": "maybe"},
        {"components": ["999999"], "all_components": "0"},
        {"channels": ["fax"]},
    ],
    ids=["no-kinds", "unknown-kind", "bad-radio", "unknown-component", "unknown-channel"],
)
def test_bad_choices_are_a_form_error_that_changes_nothing(client, person, manage_path, components, bad):
    before = state(person)

    response = client.post(manage_path, choices(**bad))

    assert response.status_code == 400
    assert state(person) == before


def test_a_channel_whose_address_is_unconfirmed_cannot_be_ticked(client):
    person = Subscriber.objects.create(
        email="half@example.com", phone="+14155550009", email_confirmed_at=timezone.now()
    )

    response = client.post(path_of(subscriber_links.manage_url(person)), choices(channels=[Channel.SMS]))

    assert response.status_code == 400


def test_unticking_a_channel_sets_its_opt_out_and_ticking_it_again_clears_it(client, person, manage_path):
    response = client.post(manage_path, choices(channels=[Channel.EMAIL]))

    assert response.status_code == 200
    person.refresh_from_db()
    opted_out_at = person.phone_opted_out_at
    assert opted_out_at is not None and person.email_opted_out_at is None
    assert person.phone_confirmed_at is not None
    assert person.confirmed_channels() == [Channel.EMAIL]
    assert ticked(client.get(manage_path), "channels") == {Channel.EMAIL}

    # Saving other choices keeps the first opt-out time.
    client.post(manage_path, choices(channels=[Channel.EMAIL], event_kinds=[RESOLVED]))
    person.refresh_from_db()
    assert person.phone_opted_out_at == opted_out_at

    client.post(manage_path, choices(channels=[Channel.EMAIL, Channel.SMS]))

    person.refresh_from_db()
    assert person.phone_opted_out_at is None and person.email_opted_out_at is None
    assert person.confirmed_channels() == [Channel.EMAIL, Channel.SMS]


def test_saving_choices_before_the_phone_is_confirmed_does_not_stop_its_texts(client, sms_outbox):
    # Signed up with both; the email link is followed first, the SMS code not yet entered.
    person = Subscriber.objects.create(
        email="both@example.com", phone="+14155550042", email_confirmed_at=timezone.now()
    )
    verify = client.post("/subscribe/", {"email": "", "phone": person.phone})["Location"]
    code = text_code(person.phone)
    client.post(path_of(subscriber_links.manage_url(person)), choices(channels=[Channel.EMAIL]))

    assert client.post(verify, {"code": code}).status_code == 200

    person.refresh_from_db()
    assert person.confirmed_channels() == [Channel.EMAIL, Channel.SMS]


def test_saving_the_manage_form_needs_its_csrf_token(person, manage_path):
    browser = Client(enforce_csrf_checks=True)
    before = state(person)

    response = browser.post(manage_path, choices(channels=[]))

    assert response.status_code == 403
    assert state(person) == before


@pytest.mark.parametrize(
    "make_token",
    [
        lambda p: tamper(path_of(subscriber_links.manage_url(p)).split("/")[-2]),
        lambda p: path_of(subscriber_links.unsubscribe_url(p, Channel.EMAIL)).split("/")[-2],
        lambda p: "not-a-token",
    ],
    ids=["tampered", "unsubscribe-token", "garbage"],
)
def test_a_bad_manage_token_is_400_and_changes_nothing(client, person, make_token):
    token = make_token(person)
    before = state(person)

    assert client.get(f"/subscribe/manage/{token}/").status_code == 400
    assert client.post(f"/subscribe/manage/{token}/", choices(channels=[])).status_code == 400
    assert client.post(f"/subscribe/manage/{token}/delete/").status_code == 400
    assert state(person) == before


def test_a_manage_link_for_a_deleted_subscriber_is_400(client, person, manage_path):
    person.delete()

    assert client.get(manage_path).status_code == 400


def test_unsubscribe_from_everything_deletes_the_subscriber(client, person, manage_path, components):
    page = client.get(manage_path).content.decode()
    assert f'action="{manage_path}delete/"' in page
    assert "Unsubscribe from everything" in page
    person.components.set([components["Cache"]])

    response = client.post(f"{manage_path}delete/")

    assert response.status_code == 200
    assert "Your subscription is deleted" in response.content.decode()
    assert not Subscriber.objects.filter(pk=person.pk).exists()
    assert not Subscriber.components.through.objects.filter(subscriber_id=person.pk).exists()
    assert client.get(manage_path).status_code == 400


def test_get_of_the_delete_url_is_405_and_deletes_nothing(client, person, manage_path):
    response = client.get(f"{manage_path}delete/")

    assert response.status_code == 405
    assert Subscriber.objects.filter(pk=person.pk).exists()


def test_deleting_everything_needs_the_csrf_token(person, manage_path):
    response = Client(enforce_csrf_checks=True).post(f"{manage_path}delete/")

    assert response.status_code == 403
    assert Subscriber.objects.filter(pk=person.pk).exists()


# --- fan-out by those choices


@pytest.fixture
def run_fan_out(django_capture_on_commit_callbacks):
    """Run fan_out and return how many deliveries it made; run only its own on-commit callbacks."""

    def run(event: Event) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return fan_out(event.pk, enqueue=lambda ids: None)

    return run


def open_on(name: str, components: list[Component]) -> Incident:
    return open_incident(Incident(name=name, impact="minor"), "Looking into it.", components=components)


def event_of(incident: Incident, kind: str) -> Event:
    return Event.objects.get(incident=incident, kind=kind)


def recipients(event: Event) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for subscriber_id, channel in Delivery.objects.filter(event=event).values_list("subscriber", "channel"):
        found.setdefault(subscriber_id, set()).add(channel)
    return found


def test_a_subscriber_who_picked_one_component_and_resolved_only_hears_of_that_resolution(
    components, run_fan_out
):
    eu_west = components["Message queue eu-west"]
    picky = make_subscriber(1, sms=False, all_components=False, event_kinds=[RESOLVED])
    picky.components.set([eu_west])
    everyone = make_subscriber(2, sms=False)
    ours = open_on("Queue backlog in eu-west", [eu_west])
    post_update(ours, IncidentStatus.IDENTIFIED, "A stuck consumer.")
    post_update(ours, IncidentStatus.RESOLVED, "Flowing again.")
    theirs = open_on("API errors", [components["Public API"]])
    post_update(theirs, IncidentStatus.RESOLVED, "Fixed.")

    for incident in (ours, theirs):
        for event in Event.objects.filter(incident=incident):
            run_fan_out(event)

    assert recipients(event_of(ours, RESOLVED)) == {picky.pk: {Channel.EMAIL}, everyone.pk: {Channel.EMAIL}}
    assert recipients(event_of(ours, CREATED)) == {everyone.pk: {Channel.EMAIL}}
    assert recipients(event_of(ours, EventKind.INCIDENT_UPDATED)) == {everyone.pk: {Channel.EMAIL}}
    assert recipients(event_of(theirs, RESOLVED)) == {everyone.pk: {Channel.EMAIL}}
    assert recipients(event_of(theirs, CREATED)) == {everyone.pk: {Channel.EMAIL}}
    assert Delivery.objects.filter(subscriber=picky).count() == 1


def test_an_incident_with_no_components_reaches_everyone_whose_kinds_match(components, run_fan_out):
    picky = make_subscriber(1, all_components=False, event_kinds=[CREATED])
    picky.components.set([components["Cache"]])
    everyone = make_subscriber(2, sms=False)
    other_kinds = make_subscriber(3, event_kinds=[RESOLVED])
    unconfirmed = Subscriber.objects.create(email="new@example.com")
    incident = open_on("Everything is slow", [])

    run_fan_out(event_of(incident, CREATED))

    assert recipients(event_of(incident, CREATED)) == {
        picky.pk: {Channel.EMAIL, Channel.SMS},
        everyone.pk: {Channel.EMAIL},
    }
    assert other_kinds.pk not in recipients(event_of(incident, CREATED))
    assert unconfirmed.pk not in recipients(event_of(incident, CREATED))


def test_component_status_changes_match_by_the_events_component(components, run_fan_out):
    eu_west, api = components["Message queue eu-west"], components["Public API"]
    picky = make_subscriber(1, sms=False, all_components=False, event_kinds=[STATUS_CHANGED])
    picky.components.set([eu_west])
    watches_all = make_subscriber(2, sms=False, event_kinds=[STATUS_CHANGED, RESOLVED])
    default_kinds = make_subscriber(3, sms=False)  # the defaults leave component changes out
    set_component_status(eu_west, ComponentStatus.MAJOR_OUTAGE)
    set_component_status(api, ComponentStatus.DEGRADED)
    ours = Event.objects.get(kind=STATUS_CHANGED, component=eu_west)
    theirs = Event.objects.get(kind=STATUS_CHANGED, component=api)

    run_fan_out(ours)
    run_fan_out(theirs)

    assert recipients(ours) == {picky.pk: {Channel.EMAIL}, watches_all.pk: {Channel.EMAIL}}
    assert recipients(theirs) == {watches_all.pk: {Channel.EMAIL}}
    assert default_kinds.pk not in recipients(ours) | recipients(theirs)


def test_a_channel_opted_out_on_the_manage_page_gets_no_deliveries(
    client, person, manage_path, components, run_fan_out
):
    client.post(manage_path, choices(channels=[Channel.SMS]))
    incident = open_on("Queue backlog", [components["Cache"]])

    run_fan_out(event_of(incident, CREATED))

    assert recipients(event_of(incident, CREATED)) == {person.pk: {Channel.SMS}}


def test_fan_out_queries_do_not_grow_with_subscribers(components, settings):
    settings.FANOUT_CHUNK_SIZE = 500
    make_subscriber(0)
    few = event_of(open_on("Queue backlog", [components["Cache"]]), CREATED)
    with CaptureQueriesContext(connection) as for_one:
        assert fan_out(few.pk, enqueue=lambda ids: None) == 2
    for n in range(1, 30):
        make_subscriber(n)
    many = event_of(open_on("Cache misses", [components["Cache"]]), CREATED)

    with CaptureQueriesContext(connection) as for_thirty:
        assert fan_out(many.pk, enqueue=lambda ids: None) == 60

    assert len(for_thirty) == len(for_one)


# --- RFC 8058 one-click unsubscribe


@pytest.fixture
def https_site(settings):
    settings.SITE_URL = "https://status.example.com"
    return settings.SITE_URL


@pytest.fixture
def incident_event(components) -> Event:
    return event_of(open_on("Queue backlog in eu-west", [components["Message queue eu-west"]]), CREATED)


@pytest.fixture
def sent_email(https_site, person, incident_event):
    """The incident email `person` got, sent through the test outbox."""
    delivery = Delivery.objects.create(event=incident_event, subscriber=person, channel=Channel.EMAIL)
    assert send_delivery(delivery.pk) is Outcome.SENT
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def unsubscribe_link(message) -> str:
    header = message.message()["List-Unsubscribe"]
    assert header.startswith("<") and header.endswith(">"), header
    return header[1:-1]


def test_incident_email_has_one_click_unsubscribe_headers_with_an_https_url(sent_email, person):
    link = unsubscribe_link(sent_email)

    assert link == subscriber_links.unsubscribe_url(person, Channel.EMAIL)
    assert link.startswith("https://status.example.com/unsubscribe/")
    assert sent_email.message()["List-Unsubscribe-Post"] == ONE_CLICK
    assert sent_email.extra_headers["List-Unsubscribe"] == f"<{link}>"


def test_get_of_the_unsubscribe_link_shows_a_confirm_page_and_unsubscribes_nothing(
    client, sent_email, person
):
    response = client.get(path_of(unsubscribe_link(sent_email)))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Unsubscribe?" in body and "user1@example.com" in body
    assert 'name="List-Unsubscribe" value="One-Click"' in body
    person.refresh_from_db()
    assert person.email_opted_out_at is None
    assert person.confirmed_channels() == [Channel.EMAIL, Channel.SMS]


def test_one_click_post_without_cookies_or_csrf_token_stops_email_only(sent_email, person):
    mail_client = Client(enforce_csrf_checks=True)
    assert not mail_client.cookies
    path = path_of(unsubscribe_link(sent_email))

    response = mail_client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert "No more emails" in response.content.decode()
    person.refresh_from_db()
    stopped_at = person.email_opted_out_at
    assert stopped_at is not None
    assert person.phone_confirmed_at is not None and person.phone_opted_out_at is None
    assert person.email_confirmed_at is not None and person.email_suppressed_at is None
    assert person.confirmed_channels() == [Channel.SMS]
    # Clients retry; a second click changes nothing.
    assert (
        mail_client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded").status_code == 200
    )
    person.refresh_from_db()
    assert person.email_opted_out_at == stopped_at


def test_after_one_click_unsubscribe_fan_out_makes_no_email_delivery(
    sent_email, person, components, run_fan_out
):
    path = path_of(unsubscribe_link(sent_email))
    Client(enforce_csrf_checks=True).post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded")
    incident = open_on("Cache misses", [components["Cache"]])

    run_fan_out(event_of(incident, CREATED))

    assert recipients(event_of(incident, CREATED)) == {person.pk: {Channel.SMS}}


def test_a_queued_email_is_suppressed_if_its_reader_unsubscribes_before_it_is_sent(
    https_site, person, incident_event
):
    delivery = Delivery.objects.create(event=incident_event, subscriber=person, channel=Channel.EMAIL)
    subscriber_links.opt_out(person, Channel.EMAIL)

    assert send_delivery(delivery.pk) is Outcome.SKIPPED

    assert mail.outbox == []
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUPPRESSED


def test_a_tampered_unsubscribe_token_is_400_for_get_and_post(sent_email, person):
    token = path_of(unsubscribe_link(sent_email)).split("/")[-2]
    path = f"/unsubscribe/{tamper(token)}/"
    mail_client = Client(enforce_csrf_checks=True)

    assert mail_client.get(path).status_code == 400
    assert (
        mail_client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded").status_code == 400
    )
    person.refresh_from_db()
    assert person.email_opted_out_at is None and person.phone_opted_out_at is None


def test_an_unsubscribe_token_for_an_old_address_is_400(client, sent_email, person):
    path = path_of(unsubscribe_link(sent_email))
    Subscriber.objects.filter(pk=person.pk).update(email="new-address@example.com")

    assert client.get(path).status_code == 400
    assert client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded").status_code == 400
    person.refresh_from_db()
    assert person.email_opted_out_at is None


def test_a_manage_token_is_no_unsubscribe_token(client, person):
    token = path_of(subscriber_links.manage_url(person)).split("/")[-2]

    assert (
        client.post(
            f"/unsubscribe/{token}/", ONE_CLICK, content_type="application/x-www-form-urlencoded"
        ).status_code
        == 400
    )


def test_incident_email_has_the_manage_and_unsubscribe_links(sent_email, person):
    manage = subscriber_links.manage_url(person)
    unsubscribe = subscriber_links.unsubscribe_url(person, Channel.EMAIL)
    html = sent_email.alternatives[0].content

    assert f"Choose what you receive: {manage}" in sent_email.body
    assert f"Unsubscribe: {unsubscribe}" in sent_email.body
    assert f'href="{manage}"' in html and f'href="{unsubscribe}"' in html
    assert manage.startswith("https://status.example.com/subscribe/manage/")


def test_the_manage_link_in_the_email_opens_the_manage_page(client, sent_email):
    manage = next(line for line in sent_email.body.splitlines() if line.startswith("Choose what you receive"))

    response = client.get(path_of(manage.split(": ", 1)[1]))

    assert response.status_code == 200
    assert ticked(response, "channels") == {Channel.EMAIL, Channel.SMS}


def test_message_id_is_the_same_on_two_renders_of_the_same_delivery(https_site, person, incident_event):
    delivery = Delivery.objects.create(event=incident_event, subscriber=person, channel=Channel.EMAIL)
    assert send_delivery(delivery.pk) is Outcome.SENT
    # As if the first send timed out and the delivery went back in the queue for a retry.
    Delivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.QUEUED)
    assert send_delivery(delivery.pk) is Outcome.SENT

    first, second = (m.message()["Message-ID"] for m in mail.outbox)

    assert first == second == message_id_for(delivery)
    assert first.endswith("@status.example.com>")


def test_subscribing_again_after_one_click_unsubscribe_brings_the_email_back(
    client, sent_email, person, settings
):
    settings.SIGNUP_LIMIT_PER_IP = (10_000, 3600)  # the cache (Redis) outlives test runs
    page = Client().post(
        path_of(unsubscribe_link(sent_email)), ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )
    assert 'href="/subscribe/"' in page.content.decode()  # "Subscribe again any time."
    mail.outbox.clear()

    assert client.post("/subscribe/", {"email": person.email, "phone": ""}).status_code == 302
    link = email_link(person.email)  # what the queued task runs

    assert len(mail.outbox) == 1, "no confirmation for the address that asked to come back"
    assert mail.outbox[0].subject.startswith("Confirm your subscription")
    assert client.get(link).status_code == 200
    person.refresh_from_db()
    assert Channel.EMAIL in person.confirmed_channels()
