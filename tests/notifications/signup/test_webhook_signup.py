"""Webhook sign-up: the form on /subscribe/, the contact's confirmation, the secret shown once, manage."""

from __future__ import annotations

import random
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from incidents.models import StatusPage
from notifications.delivery import subscriber_links
from notifications.models import Channel, Subscriber, Verification
from notifications.signup import webhook_signup

pytestmark = pytest.mark.django_db

HOOK = "http://127.0.0.1:9/hook/endpoint"


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    """Tests' webhooks are on loopback; the tests of refusal take the allow-list away."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def sign_up(client, url: str = HOOK, contact: str = "Ops@Example.com", **extra):
    return client.post("/subscribe/webhook/", {"webhook_url": url, "webhook_contact": contact}, **extra)


def mailed_link(contact: str = "ops@example.com") -> str:
    """Run the queued task for the newest webhook proof and return the path of the link it mailed."""
    proof = Verification.objects.filter(channel=Channel.WEBHOOK).latest("pk")
    webhook_signup.send_confirmation(proof.pk)
    message = [m for m in mail.outbox if m.to == [contact]][-1]
    links = re.findall(r"https?://\S+", message.body)
    assert len(links) == 1, message.body
    return urlsplit(links[0]).path


def secret_on(response) -> str:
    found = re.search(rb'id="webhook-secret">([^<]+)<', response.content)
    return found.group(1).decode() if found else ""


def confirmed_hook(page=None, **fields) -> Subscriber:
    values = {"email": "ops@example.com", "webhook_url": HOOK, "webhook_secret": "s" * 43, **fields}
    return Subscriber.objects.create(
        **({"page": page} if page else {}), webhook_confirmed_at=timezone.now(), **values
    )


def manage_path(subscriber: Subscriber) -> str:
    return urlsplit(subscriber_links.manage_url(subscriber)).path


def test_the_subscribe_page_offers_a_webhook_with_a_url_and_a_contact_email(client):
    response = client.get("/subscribe/")

    assert response.status_code == 200
    assert b'action="/subscribe/webhook/"' in response.content
    assert b'name="webhook_url"' in response.content
    assert b'name="webhook_contact"' in response.content


def test_a_webhook_sign_up_mails_the_contact_a_link_and_starts_nothing_yet(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = sign_up(client)

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == "/subscribe/check-email/"
    proof = Verification.objects.get(channel=Channel.WEBHOOK)
    assert (proof.address, proof.pair.channel, proof.pair.address) == (HOOK, "email", "ops@example.com")
    assert len(callbacks) == 1
    assert mail.outbox == [] and not Subscriber.objects.exists()

    path = mailed_link()
    assert "127.0.0.1" in mail.outbox[0].body  # the host it is for
    webhook_signup.send_confirmation(proof.pk)  # the task delivered twice mails once
    assert len(mail.outbox) == 1
    # Opening the link (a mail scanner does) only asks.
    page = client.get(path)
    assert page.status_code == 200
    assert b"Confirm and show the secret" in page.content
    assert not Subscriber.objects.exists()


def test_confirming_starts_the_webhook_and_shows_its_secret_once(client):
    sign_up(client)
    path = mailed_link()

    response = client.post(path)

    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.webhook_url == HOOK and subscriber.webhook_confirmed_at
    assert subscriber.email == "ops@example.com"
    assert subscriber.email_confirmed_at is None  # the contact is not an email subscription
    assert subscriber.confirmed_channels() == ["webhook"]
    assert len(subscriber.webhook_secret) >= 40
    assert secret_on(response) == subscriber.webhook_secret
    assert manage_path(subscriber).encode() in response.content
    # The same link again: the subscription, not the secret.
    again = client.post(path)
    assert again.status_code == 200
    assert secret_on(again) == "" and subscriber.webhook_secret.encode() not in again.content
    assert b"Make a new one on the manage page" in again.content


def test_the_contact_who_also_subscribed_by_email_keeps_one_row_with_both(client):
    person = Subscriber.objects.create(email="ops@example.com", email_confirmed_at=timezone.now())
    sign_up(client)

    client.post(mailed_link())

    person.refresh_from_db()
    assert Subscriber.objects.count() == 1
    assert sorted(person.confirmed_channels()) == ["email", "webhook"]


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:9/hook", "private network or otherwise not on the public internet (loopback)"),
        ("http://10.1.2.3/hook", "(private)"),
        ("http://169.254.169.254/latest/meta-data", "(link-local)"),
        ("http://[::1]/hook", "(loopback)"),
        ("ftp://example.com/hook", "starts with https://"),
        ("https://user:pw@example.com/hook", "user name and password"),
        ("not a url", "starts with https://"),
        ("", "Enter the URL to send webhooks to."),
    ],
)
def test_a_url_we_will_not_call_is_refused_at_sign_up_with_a_clear_error(client, settings, url, says):
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    response = sign_up(client, url=url)

    assert response.status_code == 400
    assert says in response.content.decode()
    assert b'<details class="webhook-signup" open>' in response.content
    assert not Verification.objects.exists()


def test_a_webhook_needs_a_contact_email(client):
    for contact, says in [("", "the webhook starts once you confirm it"), ("nope", "valid email")]:
        response = sign_up(client, contact=contact)
        assert response.status_code == 400
        assert says in response.content.decode()
    assert not Verification.objects.exists()


def test_a_url_too_long_for_a_proof_is_refused(client):
    response = sign_up(client, url=HOOK + "/" + "a" * 260)

    assert response.status_code == 400
    assert not Verification.objects.exists()


def test_a_get_of_the_webhook_form_goes_back_to_the_subscribe_page(client):
    assert client.get("/subscribe/webhook/")["Location"] == "/subscribe/"


def test_webhook_sign_ups_count_against_the_networks_sign_up_limit(client, settings):
    settings.SIGNUP_LIMIT_PER_IP = (1, 3600)
    ip = f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"

    assert sign_up(client, REMOTE_ADDR=ip).status_code == 302
    refused = sign_up(client, url=HOOK + "2", REMOTE_ADDR=ip)

    assert refused.status_code == 429
    assert b"Too many sign-ups from your network" in refused.content
    assert Verification.objects.filter(channel=Channel.WEBHOOK).count() == 1


def test_the_contacts_inbox_gets_at_most_its_share_of_confirmation_emails(
    client, settings, django_capture_on_commit_callbacks
):
    settings.CONFIRMATIONS_PER_DESTINATION = (2, 3600)
    contact = f"flood{random.randint(0, 10**9)}@example.com"

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for n in range(4):
            assert sign_up(client, url=f"{HOOK}{n}", contact=contact).status_code == 302

    # Every sign-up answers alike and is recorded; only two emails are queued.
    assert Verification.objects.filter(channel=Channel.WEBHOOK).count() == 4
    assert len(callbacks) == 2


def test_a_forged_or_expired_confirmation_link_is_refused(client, settings):
    sign_up(client)
    path = mailed_link()

    assert client.post("/subscribe/webhook/confirm/forged-token/").status_code == 400
    assert client.get("/subscribe/webhook/confirm/" + "x" * 200 + "/").status_code == 400
    settings.CONFIRM_LINK_MAX_AGE_SECONDS = 60
    Verification.objects.update(created_at=timezone.now() - timezone.timedelta(seconds=120))
    assert client.post(path).status_code == 400
    assert not Subscriber.objects.exists()


def test_a_link_opened_on_another_page_confirms_nothing(client):
    StatusPage.objects.create(name="Partner Status", slug="partner")
    sign_up(client)
    path = mailed_link()

    assert client.post("/p/partner" + path).status_code == 400
    assert not Subscriber.objects.exists()


def test_confirming_someone_elses_webhook_url_is_refused(client):
    confirmed_hook(email="owner@example.com")
    sign_up(client, contact="intruder@example.com")

    response = client.post(mailed_link("intruder@example.com"))

    assert response.status_code == 409
    assert b"already gets this page&#x27;s notifications" in response.content
    owner = Subscriber.objects.get(webhook_url=HOOK)
    assert owner.email == "owner@example.com" and owner.webhook_secret == "s" * 43
    assert not Subscriber.objects.filter(email="intruder@example.com").exists()


def test_the_manage_page_makes_a_new_secret_and_shows_it_once(client):
    subscriber = confirmed_hook()
    manage = manage_path(subscriber)
    page = client.get(manage)
    assert b"Make a new secret" in page.content
    assert subscriber.webhook_secret.encode() not in page.content  # never shown again

    response = client.post(manage + "webhook/secret/")

    subscriber.refresh_from_db()
    assert response.status_code == 200
    assert subscriber.webhook_secret != "s" * 43
    assert secret_on(response) == subscriber.webhook_secret
    assert client.get(manage).content.count(subscriber.webhook_secret.encode()) == 0


def test_a_webhook_only_subscriber_is_told_where_updates_go_not_that_nothing_is_confirmed(client):
    page = client.get(manage_path(confirmed_hook())).content.decode()
    assert "No confirmed address yet" not in page and "Untick a channel" not in page
    assert "Sent to your webhook" in page


def test_a_paused_webhook_shows_why_and_resumes_from_the_manage_page(client):
    subscriber = confirmed_hook(webhook_suppressed_at=timezone.now(), webhook_failures=10)
    manage = manage_path(subscriber)
    page = client.get(manage)
    assert b"paused after repeated failures" in page.content
    assert b"Resume the webhook" in page.content

    response = client.post(manage + "webhook/resume/", follow=True)

    subscriber.refresh_from_db()
    assert (subscriber.webhook_suppressed_at, subscriber.webhook_failures) == (None, 0)
    assert subscriber.confirmed_channels() == ["webhook"]
    assert b"is on again" in response.content
    assert b"Resume the webhook" not in response.content


def test_the_webhook_buttons_refuse_forged_links_other_pages_and_gets(client):
    partner = StatusPage.objects.create(name="Partner Status", slug="partner")
    mine, theirs = confirmed_hook(), confirmed_hook(page=partner)
    manage = manage_path(mine)

    assert client.post("/subscribe/manage/forged:token/webhook/secret/").status_code == 400
    assert client.post(f"/subscribe/manage/{mine.link_key}/webhook/resume/").status_code == 400
    # A partner page's subscriber's link, opened on the default page: nothing said, nothing changed.
    elsewhere = manage_path(theirs).removeprefix("/p/partner")
    assert client.post(elsewhere + "webhook/secret/").status_code == 404
    assert client.post(elsewhere + "webhook/resume/").status_code == 404
    # A GET (a reload, a link) changes nothing and goes back to the manage page, which has the buttons.
    reloaded = client.get(manage + "webhook/secret/")
    assert reloaded.status_code == 302 and reloaded["Location"] == manage
    email_only = Subscriber.objects.create(email="reader@example.com", email_confirmed_at=timezone.now())
    assert client.post(manage_path(email_only) + "webhook/secret/").status_code == 400
    assert set(Subscriber.objects.values_list("webhook_secret", flat=True)) == {"s" * 43, ""}


def test_the_webhooks_unsubscribe_link_stops_only_the_webhook(client):
    person = confirmed_hook(email_confirmed_at=timezone.now())
    path = urlsplit(subscriber_links.unsubscribe_url(person, Channel.WEBHOOK)).path

    assert b"webhooks to http://127.0.0.1:9/hook/endpoint" in client.get(path).content
    assert client.post(path).status_code == 200

    person.refresh_from_db()
    assert person.confirmed_channels() == ["email"]


# --- The staff API


def api_client(user=None):
    from rest_framework.test import APIClient

    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_an_admin_adds_a_confirmed_webhook_by_the_api_and_gets_its_secret_once():
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("admin", "", "pw-for-tests-only")
    response = api_client(admin).post(
        "/api/v1/subscribers/webhooks", {"url": HOOK, "contact_email": "Ops@Example.com"}, format="json"
    )

    assert response.status_code == 201, response.content
    subscriber = Subscriber.objects.get()
    assert response.json()["secret"] == subscriber.webhook_secret and len(subscriber.webhook_secret) >= 40
    assert response.json()["contact_email"] == "ops@example.com"
    assert subscriber.confirmed_channels() == ["webhook"]


def test_the_webhook_api_is_for_admins_and_refuses_bad_urls_and_unknown_fields(settings):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from statuspage.staff import ensure_roles

    ensure_roles()
    responder = get_user_model().objects.create_user("responder", "", "pw-for-tests-only", is_staff=True)
    responder.groups.add(Group.objects.get(name="Responder"))
    admin = get_user_model().objects.create_superuser("admin", "", "pw-for-tests-only")
    body = {"url": HOOK, "contact_email": "ops@example.com"}

    assert api_client().post("/api/v1/subscribers/webhooks", body, format="json").status_code == 401
    assert api_client(responder).post("/api/v1/subscribers/webhooks", body, format="json").status_code == 403
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    refused = api_client(admin).post("/api/v1/subscribers/webhooks", body, format="json")
    assert refused.status_code == 400 and "(loopback)" in refused.json()["url"][0]
    extra = api_client(admin).post("/api/v1/subscribers/webhooks", {**body, "secret": "x"}, format="json")
    assert extra.status_code == 400
    assert api_client(admin).post("/api/v1/subscribers/webhooks", [1], format="json").status_code == 400
    assert not Subscriber.objects.exists()


def test_the_webhook_api_is_in_the_openapi_schema(staff_client):
    schema = staff_client.get("/api/v1/schema/", HTTP_ACCEPT="application/json")

    assert schema.status_code == 200
    assert "/api/v1/subscribers/webhooks" in schema.json()["paths"]
