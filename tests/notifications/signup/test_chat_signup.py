"""Chat sign-up: only vetted apps, no private networks, and a confirmation link posted into the channel."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest

from notifications.models import Channel, Subscriber, Verification
from notifications.signup import chat_proof
from tests.fakes import webhook_receiver
from tests.fakes.chat_apps import route_to_loopback, stop_routing
from tests.fakes.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.django_db

URL = "/subscribe/chat/"
CONFIRM_LINK = re.compile(r"https?://[^\s\"\\]+/subscribe/chat/confirm/[^/\s\"\\]+/")


def fresh() -> str:
    return uuid.uuid4().hex[:10].upper()


def slack_url() -> str:
    n = fresh()
    return f"https://hooks.slack.com/services/T{n}/B{n}/{n.lower()}"


@pytest.fixture
def slack_channel(monkeypatch):
    """The loopback Slack; it takes Apprise's attachments-only message as Slack does."""
    original = webhook_receiver._chat_problem

    def problem(app, payload):
        if app == "slack" and payload and any(a.get("text") for a in payload.get("attachments") or []):
            return ""
        return original(app, payload)

    monkeypatch.setattr(webhook_receiver, "_chat_problem", problem)
    server = WebhookReceiver().start()
    route_to_loopback(server.base_url)
    yield server
    stop_routing()
    server.stop()


def test_the_sign_up_page_renders_and_the_subscribe_page_links_to_it(client):
    assert client.get(URL).status_code == 200
    assert URL.encode() in client.get("/subscribe/").content


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://hooks.slack.com/services/T0001/B0001/abcdef", "slack://T0001/B0001/abcdef/"),
        ("slack://T0001/B0001/abcdef", "slack://T0001/B0001/abcdef/"),
        ("https://discord.com/api/webhooks/1234/tok-en", "discord://1234/tok-en/"),
        ("https://chat.googleapis.com/v1/spaces/AAA/messages?key=k1&token=t1", "gchat://AAA/k1/t1/"),
        (
            "https://prod-01.westus.logic.azure.com:443/workflows/abc123/triggers/manual/paths/invoke"
            "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=SIG_x",
            "workflows://prod-01.westus.logic.azure.com:443/abc123/SIG_x/?pa=no&ver=2016-06-01",
        ),
        ("tgram://123456789:abcdefg_hijklmnop/-100123", "tgram://123456789%3Aabcdefg_hijklmnop/-100123/"),
        ("ntfy://status-topic", "ntfys://status-topic/"),
        ("https://ntfy.sh/status-topic", "ntfys://status-topic/"),
        # Self-hosted apps on a network the operator allowed (loopback here, for the test).
        ("mmost://127.0.0.1:8065/abcdef", "mmost://127.0.0.1:8065/abcdef/"),
        ("matrixs://tok@127.0.0.1/#ops:example.org", "matrixs://tok@127.0.0.1/%23ops%3Aexample.org/"),
        ("ntfys://127.0.0.1/status", "ntfys://127.0.0.1/status/"),
    ],
)
def test_vetted_apps_are_accepted_and_stored_in_their_canonical_form(client, settings, typed, stored):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    response = client.post(URL, {"url": typed})
    assert response.status_code == 302, response.content.decode()[-800:]
    assert urlsplit(response["Location"]).path == "/subscribe/chat/sent/"
    proof = Verification.objects.get()
    assert (proof.channel, proof.address) == (Channel.CHAT, stored)


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("json://example.com/hook", "can&#x27;t post to that kind of address"),
        ("jsons://example.com/hook", "can&#x27;t post to that kind of address"),
        ("form://example.com/hook", "can&#x27;t post to that kind of address"),
        ("xml://example.com/hook", "can&#x27;t post to that kind of address"),
        ("mailto://user:pw@gmail.com", "can&#x27;t post to that kind of address"),
        ("windows://", "can&#x27;t post to that kind of address"),
        ("http://hooks.slack.com/services/T0001/B0001/abcdef", "can&#x27;t post to that kind of address"),
        ("https://example.com/hook", "can&#x27;t post to that address"),
        ("workflows://evil.example.com/abc123/sig", "not a Microsoft Teams Workflows webhook"),
        ("https://acme.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d", "retired Office 365 connector"),
        ("tgram://123456789:abcdefg_hijklmnop/1/2", "exactly one chat"),
        ("slack://", "missing something or has a typo"),
        ("", "This field is required"),
    ],
)
def test_other_schemes_are_refused_with_a_clear_error_and_store_nothing(client, typed, error):
    response = client.post(URL, {"url": typed})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Verification.objects.exists() and not Subscriber.objects.exists()


@pytest.mark.parametrize(
    "typed",
    [
        "mmosts://10.0.0.5/abcdef",
        "ntfys://127.0.0.1/status",
        "matrixs://tok@[::1]/#ops:example.org",
        "https://192.168.1.20/hooks/abcdef",
    ],
)
def test_a_self_hosted_app_on_a_private_network_is_refused(client, typed):
    response = client.post(URL, {"url": typed})
    assert response.status_code == 400
    assert "private network or otherwise not on the public internet" in response.content.decode()
    assert not Verification.objects.exists()


def test_the_confirmation_arrives_in_the_channel_and_only_the_button_confirms(
    client, slack_channel, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.post(URL, {"url": slack_url()}).status_code == 302
    assert len(callbacks) == 1  # the post is the worker's: the request doesn't wait on Slack
    assert slack_channel.chat["slack"] == []
    proof = Verification.objects.get()
    chat_proof.send_chat_link(proof.pk)
    chat_proof.send_chat_link(proof.pk)  # a task delivered twice posts once

    [message] = slack_channel.chat["slack"]
    attachment = message["attachments"][0]
    assert (
        attachment["title"].startswith("[")
        and "Confirm status updates in this Slack channel" in attachment["title"]
    )
    link = CONFIRM_LINK.search(attachment["text"])[0]
    subscriber = Subscriber.objects.get()
    assert subscriber.chat_url == proof.address and subscriber.chat_confirmed_at is None

    page = client.get(urlsplit(link).path)
    assert page.status_code == 200 and b"Confirm</button>" in page.content
    subscriber.refresh_from_db()
    assert subscriber.chat_confirmed_at is None  # an unfurl or a link scanner confirms nothing

    done = client.post(urlsplit(link).path)
    assert done.status_code == 200 and b"Your channel is subscribed" in done.content
    subscriber.refresh_from_db()
    assert subscriber.chat_confirmed_at is not None
    assert subscriber.confirmed_channels() == [Channel.CHAT]


def test_a_failed_post_leaves_no_usable_link_and_a_5xx_is_retried(slack_channel, client):
    from notifications.delivery.channels.base import DeliveryError

    client.post(URL, {"url": slack_url()})
    proof = Verification.objects.get()
    slack_channel.fail_next(1, status=503)
    with pytest.raises(DeliveryError):
        chat_proof.send_chat_link(proof.pk)  # the task retries it
    proof.refresh_from_db()
    assert (proof.sent_at, proof.token_hash) == (None, None)
    chat_proof.send_chat_link(proof.pk)
    assert len(slack_channel.chat["slack"]) == 1


def test_garbage_and_foreign_tokens_open_nothing(client):
    assert client.get("/subscribe/chat/confirm/not-a-token/").status_code == 400
    assert client.post("/subscribe/chat/confirm/not-a-token/").status_code == 400


def test_confirmations_to_one_channel_are_capped_with_the_same_answer(
    client, settings, django_capture_on_commit_callbacks
):
    settings.CONFIRMATIONS_PER_DESTINATION = (1, 3600)
    url = slack_url()
    with django_capture_on_commit_callbacks() as callbacks:
        answers = [client.post(URL, {"url": url}) for _ in range(3)]
    assert {(r.status_code, r["Location"]) for r in answers} == {(302, "/subscribe/chat/sent/")}
    assert len(callbacks) == 1


def test_sign_ups_from_one_network_are_capped(client, settings):
    settings.SIGNUP_LIMIT_PER_IP = (1, 3600)
    ip = f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    client.post(URL, {"url": slack_url()}, REMOTE_ADDR=ip)
    response = client.post(URL, {"url": slack_url()}, REMOTE_ADDR=ip)
    assert response.status_code == 429 and "Retry-After" in response
    assert b"Too many sign-ups from your network" in response.content


def test_a_chat_subscribers_manage_page_opens(client):
    from notifications.delivery import subscriber_links
    from notifications.delivery.channels.chat import chat_destination

    url = chat_destination(slack_url()).url
    assert chat_destination(url).url == url  # the canonical form is its own canonical form
    subscriber = Subscriber.objects.create(chat_url=url)
    assert client.get(urlsplit(subscriber_links.manage_url(subscriber)).path).status_code == 200
