"""Chat and browser-push subscribers on the manage page: shown by app and host (never the chat URL,
which holds its webhook's token), turned off and on per channel, and unsubscribed by their links."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from notifications.delivery import subscriber_links
from notifications.delivery.channels.chat import get_backend
from notifications.models import DEFAULT_EVENT_KINDS, Channel, Subscriber
from notifications.signup.choices import chat_place, summarize

pytestmark = pytest.mark.django_db

SLACK = "https://hooks.slack.com/services/T0SECRETA/B0SECRETB/tokensecretc"
PUSH = "https://fcm.googleapis.com/fcm/send/browser-secret-endpoint"


class _Boxes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.boxes: dict[str, bool] = {}

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "channels":
            self.boxes[attrs["value"]] = "checked" in attrs


def boxes(response) -> dict[str, bool]:
    """The "Send to" boxes the page shows: channel -> ticked."""
    parser = _Boxes()
    parser.feed(response.content.decode())
    return parser.boxes


def path_of(url: str) -> str:
    return urlsplit(url).path


def stored(url: str) -> str:
    return get_backend().destination(url).url


@pytest.fixture
def chat() -> Subscriber:
    return Subscriber.objects.create(chat_url=stored(SLACK), chat_confirmed_at=timezone.now())


@pytest.fixture
def browser() -> Subscriber:
    return Subscriber.objects.create(
        push_endpoint=PUSH, push_keys={"p256dh": "x", "auth": "y"}, push_confirmed_at=timezone.now()
    )


def form(channels: list[str]) -> dict:
    return {"channels": channels, "all_components": "1", "event_kinds": [str(k) for k in DEFAULT_EVENT_KINDS]}


def test_a_chat_subscriber_sees_its_slack_channel_by_host_and_never_its_token(client, chat):
    page = client.get(path_of(subscriber_links.manage_url(chat)))

    text = page.content.decode()
    assert page.status_code == 200
    assert "Slack channel (hooks.slack.com)" in text
    assert "tokensecretc" not in text and "SECRETA" not in text and "SECRETB" not in text
    assert boxes(page) == {Channel.CHAT: True}
    assert "No confirmed address yet" not in text


def test_a_push_subscriber_sees_this_browser(client, browser):
    page = client.get(path_of(subscriber_links.manage_url(browser)))

    text = page.content.decode()
    assert "Notifications in the browser that subscribed (via fcm.googleapis.com)" in text
    assert "browser-secret-endpoint" not in text
    assert boxes(page) == {Channel.PUSH: True}


@pytest.mark.parametrize("fixture, channel", [("chat", Channel.CHAT), ("browser", Channel.PUSH)])
def test_unticking_chat_or_push_turns_it_off_and_ticking_it_turns_it_back_on(
    client, request, fixture, channel
):
    subscriber = request.getfixturevalue(fixture)
    manage = path_of(subscriber_links.manage_url(subscriber))
    prefix = "chat" if channel == Channel.CHAT else "push"

    saved = client.post(manage, form([]))

    assert saved.status_code == 200
    assert "Nothing will be sent until you tick" in saved.content.decode()
    subscriber.refresh_from_db()
    assert getattr(subscriber, f"{prefix}_opted_out_at") is not None
    assert subscriber.confirmed_channels() == []
    assert boxes(client.get(manage)) == {channel: False}
    assert summarize(subscriber).channel(channel).state == "off"

    client.post(manage, form([channel]))

    subscriber.refresh_from_db()
    assert getattr(subscriber, f"{prefix}_opted_out_at") is None
    assert subscriber.confirmed_channels() == [channel]
    assert summarize(subscriber).channel(channel).state == "on"


def test_the_email_and_sms_boxes_still_work_next_to_chat(client):
    now = timezone.now()
    person = Subscriber.objects.create(
        email="both@example.com", email_confirmed_at=now, chat_url=stored(SLACK), chat_confirmed_at=now
    )
    manage = path_of(subscriber_links.manage_url(person))
    assert boxes(client.get(manage)) == {Channel.EMAIL: True, Channel.CHAT: True}

    client.post(manage, form([Channel.CHAT]))

    person.refresh_from_db()
    assert person.email_opted_out_at is not None and person.chat_opted_out_at is None
    assert person.confirmed_channels() == [Channel.CHAT]


def test_an_unconfirmed_chat_is_not_offered_and_a_post_cannot_turn_it_on(client):
    person = Subscriber.objects.create(
        email="a@example.com", email_confirmed_at=timezone.now(), chat_url=stored(SLACK)
    )
    manage = path_of(subscriber_links.manage_url(person))
    assert boxes(client.get(manage)) == {Channel.EMAIL: True}

    assert client.post(manage, form([Channel.EMAIL, Channel.CHAT])).status_code == 400
    person.refresh_from_db()
    assert person.confirmed_channels() == [Channel.EMAIL]


@pytest.mark.parametrize(
    "fixture, channel, asks, done",
    [
        ("chat", Channel.CHAT, "Stop posts to your chat channel", "No more posts to your chat channel"),
        (
            "browser",
            Channel.PUSH,
            "Stop notifications in the browser that subscribed",
            "No more browser notifications",
        ),
    ],
)
def test_a_chat_or_push_unsubscribe_link_asks_then_stops_that_channel(
    client, request, fixture, channel, asks, done
):
    subscriber = request.getfixturevalue(fixture)
    path = path_of(subscriber_links.unsubscribe_url(subscriber, channel))

    confirm = client.get(path).content.decode()
    assert asks in confirm and "tokensecretc" not in confirm and "browser-secret-endpoint" not in confirm
    subscriber.refresh_from_db()
    assert subscriber.confirmed_channels() == [channel]

    response = client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200 and done in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.confirmed_channels() == []


@pytest.mark.parametrize(
    "url, words",
    [
        (SLACK, ("Slack", "hooks.slack.com")),
        ("https://discord.com/api/webhooks/1234567/tok-secretdiscord", ("Discord", "discord.com")),
        (
            "https://prod-01.westus.logic.azure.com:443/workflows/secretflow/triggers/manual/paths/invoke"
            "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=secretsig",
            ("Microsoft Teams", "prod-01.westus.logic.azure.com"),
        ),
        ("tgram://123456:secretbot/-1001", ("Telegram", "api.telegram.org")),
        (
            "https://chat.googleapis.com/v1/spaces/AAA/messages?key=secretkey&token=secrettok",
            ("Google Chat", "chat.googleapis.com"),
        ),
        ("mmosts://mm.example.com/hooks/secrethook", ("Mattermost", "mm.example.com")),
        ("ntfys://secrettopic", ("ntfy", "ntfy.sh")),
        ("not a chat url", ("Chat app", "")),
    ],
)
def test_a_chat_address_is_named_by_its_app_and_public_host_only(url, words):
    place = chat_place(stored(url) if "://" in url else url)
    assert place == words
    assert "secret" not in " ".join(place)
