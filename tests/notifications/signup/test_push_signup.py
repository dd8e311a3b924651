"""/subscribe/push/: a browser's push subscription in, a confirmed subscriber out; bad input is a 400."""

from __future__ import annotations

import base64
import json
import os
import random
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Subscriber, default_event_kinds
from tests.fakes.push_service import BrowserSubscription, b64url

URL = "/subscribe/push/"
ENDPOINT = "https://127.0.0.1:8443/push/abc123"


@pytest.fixture(autouse=True)
def loopback_is_a_push_service(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]


def browser(endpoint: str = ENDPOINT) -> dict:
    from cryptography.hazmat.primitives.asymmetric import ec

    return BrowserSubscription(endpoint, ec.generate_private_key(ec.SECP256R1()), os.urandom(16)).to_json()


def post(client, body, method: str = "post"):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return getattr(client, method)(URL, data=data, content_type="application/json")


def test_a_browser_subscription_becomes_a_confirmed_subscriber_to_everything(client, db):
    subscription = browser()
    response = post(client, subscription)
    assert response.status_code == 201
    manage_url = response.json()["manage_url"]
    subscriber = Subscriber.objects.get(push_endpoint=ENDPOINT)
    assert subscriber.push_keys == subscription["keys"]
    assert subscriber.push_confirmed_at is not None
    assert subscriber.all_components and subscriber.event_kinds == default_event_kinds()
    assert subscriber.confirmed_channels() == ["push"]
    assert client.get(urlsplit(manage_url).path).status_code == 200


def test_the_same_browser_again_updates_its_keys_and_keeps_its_choices(client, db):
    post(client, browser())
    Subscriber.objects.filter(push_endpoint=ENDPOINT).update(
        all_components=False, push_suppressed_at=timezone.now()
    )
    again = browser()
    response = post(client, again)
    assert response.status_code == 200
    subscriber = Subscriber.objects.get(push_endpoint=ENDPOINT)
    assert subscriber.push_keys == again["keys"] and subscriber.push_suppressed_at is None
    assert subscriber.all_components is False


def _with(**changes) -> dict:
    subscription = browser()
    keys = {**subscription["keys"], **changes.pop("keys", {})}
    return {**subscription, "keys": keys, **changes}


def _b64(data: bytes) -> str:
    return b64url(data)


BAD = {
    "not JSON": ("{endpoint:", "as JSON"),
    "a list": ("[1, 2]", "JSON object"),
    "no endpoint": ({"keys": {}}, "no endpoint"),
    "endpoint not a string": (lambda: _with(endpoint=5), "no endpoint"),
    "http endpoint": (lambda: _with(endpoint="http://127.0.0.1/push/x"), "https://"),
    "ftp endpoint": (lambda: _with(endpoint="ftp://127.0.0.1/push/x"), "https://"),
    "endpoint with a space": (lambda: _with(endpoint="https://127.0.0.1/push/a b"), "not a valid URL"),
    "endpoint with a bad port": (lambda: _with(endpoint="https://127.0.0.1:99999/x"), "not a valid URL"),
    "endpoint too long": (lambda: _with(endpoint="https://127.0.0.1/" + "a" * 1000), "longer than"),
    "no keys": (lambda: {"endpoint": ENDPOINT}, "no keys"),
    "keys not strings": (lambda: _with(keys={"auth": 16}), "p256dh and auth"),
    "p256dh missing": (
        lambda: {"endpoint": ENDPOINT, "keys": {"auth": _b64(os.urandom(16))}},
        "p256dh and auth",
    ),
    "p256dh too short": (lambda: _with(keys={"p256dh": _b64(b"\x04" + os.urandom(63))}), "65-byte"),
    "p256dh off the curve": (lambda: _with(keys={"p256dh": _b64(b"\x04" + b"\x01" * 64)}), "65-byte"),
    "p256dh not base64url": (lambda: _with(keys={"p256dh": "not+base64/at all!"}), "65-byte"),
    "p256dh standard base64": (
        lambda: _with(keys={"p256dh": base64.b64encode(b"\x04" + b"\xff" * 64).decode()}),
        "65-byte",
    ),
    "auth too long": (lambda: _with(keys={"auth": _b64(os.urandom(32))}), "16 bytes"),
    "auth not base64url": (lambda: _with(keys={"auth": "***"}), "16 bytes"),
    "too large": (lambda: _with(padding="x" * 5000), "too large"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_subscriptions_are_refused_with_a_clear_message_and_store_nothing(client, db, case):
    body, message = BAD[case]
    response = post(client, body() if callable(body) else body)
    assert response.status_code == 400
    assert message in response.json()["error"]
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(
    "endpoint,reason",
    [
        ("https://10.1.2.3/push/x", "private"),
        ("https://192.168.0.10:8443/push/x", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://127.0.0.1/push/x", "loopback"),
        ("https://[::1]/push/x", "loopback"),
        ("https://[::ffff:10.0.0.1]/push/x", "private"),
    ],
)
def test_an_endpoint_on_a_private_network_is_refused(client, db, settings, endpoint, reason):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    response = post(client, _with(endpoint=endpoint))
    assert response.status_code == 400
    assert "private network" in response.json()["error"] and reason in response.json()["error"]
    assert not Subscriber.objects.exists()


def test_posting_needs_the_csrf_token_which_a_get_hands_out_with_the_vapid_key(db, settings):
    browser_client = Client(enforce_csrf_checks=True)
    assert post(browser_client, browser()).status_code == 403
    assert not Subscriber.objects.exists()

    answer = browser_client.get(URL)
    assert answer.status_code == 200 and "no-cache" in answer["Cache-Control"]
    assert answer.json()["vapid_public_key"] == settings.VAPID_PUBLIC_KEY
    token = answer.json()["csrf_token"]
    response = browser_client.post(
        URL, data=json.dumps(browser()), content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201


def test_delete_or_an_unsubscribe_post_forgets_the_browser(client, db):
    post(client, browser())
    response = post(client, {"endpoint": ENDPOINT}, method="delete")
    assert response.status_code == 200 and response.json() == {"subscribed": False}
    assert not Subscriber.objects.exists()

    post(client, browser())
    assert post(client, {"endpoint": ENDPOINT, "unsubscribe": True}).status_code == 200
    assert not Subscriber.objects.exists()
    assert post(client, {"endpoint": ENDPOINT}, method="delete").status_code == 200  # already gone: fine


def test_unsubscribing_a_browser_keeps_the_subscribers_email(client, db):
    post(client, browser())
    Subscriber.objects.update(email="both@example.test")
    post(client, {"endpoint": ENDPOINT}, method="delete")
    subscriber = Subscriber.objects.get()
    assert subscriber.email == "both@example.test" and subscriber.push_endpoint is None


def test_sign_ups_from_one_network_are_rate_limited(client, db, settings):
    settings.SIGNUP_LIMIT_PER_IP = (1, random.randint(10_000, 99_999))  # a counter of its own
    assert post(client, browser()).status_code == 201
    response = post(client, browser("https://127.0.0.1/push/second"))
    assert response.status_code == 429 and "Too many" in response.json()["error"]
    assert int(response["Retry-After"]) > 0
    assert Subscriber.objects.count() == 1


def test_other_methods_are_refused(client, db):
    assert client.put(URL, data="{}", content_type="application/json").status_code == 405


@pytest.mark.parametrize("path", ["/subscribe/", "/"])
def test_the_page_offers_the_button_hidden_until_the_script_finds_push_support(client, db, path):
    html = client.get(path).content.decode()
    assert 'data-push-subscribe data-url="/subscribe/push/" data-worker="/static/push-sw.js" hidden' in html
    assert "Notify me in this browser" in html
    assert '<script src="/static/push-subscribe.js" defer></script>' in html
