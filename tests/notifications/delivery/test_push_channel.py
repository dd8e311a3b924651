"""Browser push on the real stack: a Celery worker sends through pywebpush's encryption to a loopback
Web Push service that checks VAPID and decrypts each message as the browser would."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.utils import timezone

from incidents.models import Event, EventKind, Incident, StatusPage
from incidents.public.page_routing import page_path, page_url
from incidents.timeline.incident_lifecycle import open_incident
from notifications.models import Delivery, DeliveryStatus, FanOut, Subscriber
from tests.fakes.push_service import PushService
from tests.fakes.worker import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def push_service(settings):
    service = PushService(settings.VAPID_PUBLIC_KEY).start()
    yield service
    service.stop()


@pytest.fixture
def push_worker(transactional_db, push_service, monkeypatch, request, settings):
    """The shared delivery worker, allowed to reach the loopback push service, retrying quickly."""
    for name, value in {
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "VAPID_PRIVATE_KEY": settings.VAPID_PRIVATE_KEY,
        "VAPID_SUBJECT": "mailto:ops@example.test",
        "NOTIFY_RETRY_BASE_SECONDS": "0.2",
        "NOTIFY_RETRY_CAP_SECONDS": "1",
        "NOTIFY_MAX_ATTEMPTS": "10",
    }.items():
        monkeypatch.setenv(name, value)  # the worker process starts with this environment
    return request.getfixturevalue("delivery_worker")


def push_subscribers(service: PushService, count: int, **fields) -> list:
    """Browsers subscribed on the default page, confirmed, to everything."""
    browsers = [service.subscribe() for _ in range(count)]
    now = timezone.now()
    for browser in browsers:
        Subscriber.objects.create(
            push_endpoint=browser.endpoint, push_keys=browser.keys(), push_confirmed_at=now, **fields
        )
    return browsers


def declare(name: str, component) -> Event:
    incident = open_incident(
        Incident(name=name, impact="major"), "Messages are delayed.", components=[component]
    )
    return Event.objects.get(incident=incident, kind=EventKind.INCIDENT_CREATED)


def all_settled(event: Event) -> bool:
    finished = FanOut.objects.filter(event=event, finished_at__isnull=False).exists()
    unfinished = Delivery.objects.filter(
        event=event, status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING]
    )
    return finished and not unfinished.exists()


def tally(service: PushService, browsers: list, event: Event) -> tuple[Counter, set]:
    tag = f"event-{event.pk}"
    got = Counter(p.token for p in service.pushes if p.message.get("tag") == tag)
    return got, {b.token for b in browsers} - set(got)


def test_each_browser_gets_one_readable_notification_with_title_body_and_link(
    push_worker, push_service, component
):
    browsers = push_subscribers(push_service, 3)
    event = declare("Queue backlog in eu-west", component)
    assert wait_for(lambda: all_settled(event), timeout=30)
    time.sleep(1)  # time for a duplicate to show up, if one were coming

    page = StatusPage.objects.get(is_default=True)
    got, missing = tally(push_service, browsers, event)
    print(
        f"push: subscribers={len(browsers)} received={sum(got.values())} "
        f"duplicates={sum(n - 1 for n in got.values())} missing={len(missing)}"
    )
    assert not missing and set(got.values()) == {1}
    assert not push_service.rejected
    for browser in browsers:
        [message] = push_service.messages_for(browser)
        assert message["title"] == page.name
        assert "Queue backlog in eu-west" in message["body"]
        assert "Messages are delayed." in message["body"]
        assert message["url"] == page_url(page, page_path("incident-detail", event.incident_id))
        assert message["tag"] == f"event-{event.pk}"
    push = push_service.pushes[0]
    assert push.headers["urgency"] == "high"
    assert push.headers["ttl"] == str(4 * 3600)
    assert push.headers["topic"] == f"event-{event.pk}"
    assert Delivery.objects.filter(event=event, channel="push", status=DeliveryStatus.SENT).count() == 3


def test_429_and_5xx_storms_then_success_reach_each_browser_exactly_once(
    push_worker, push_service, component
):
    browsers = push_subscribers(push_service, 12)
    push_service.fail_next(*([429, 500, 503, 502] * 6))  # the first 24 requests fail, whoever sends them
    event = declare("Storm at the push service", component)
    assert wait_for(lambda: all_settled(event), timeout=60)
    time.sleep(1)

    got, missing = tally(push_service, browsers, event)
    statuses = Counter(status for _, status in push_service.answered)
    duplicates = sum(n - 1 for n in got.values())
    print(
        f"push storm: answered={dict(statuses)} subscribers={len(browsers)} received={sum(got.values())} "
        f"duplicates={duplicates} missing={len(missing)}"
    )
    assert statuses[429] + statuses[500] + statuses[503] + statuses[502] == 24
    assert duplicates == 0 and not missing
    assert Delivery.objects.filter(event=event, status=DeliveryStatus.SENT).count() == len(browsers)


def test_a_410_removes_the_subscription_and_nothing_is_sent_to_it_again(push_worker, push_service, component):
    kept = push_subscribers(push_service, 2)
    gone = push_subscribers(push_service, 1)[0]
    # A browser whose subscriber also has a confirmed email: only the browser goes.
    both = push_subscribers(push_service, 1, email="both@example.test", email_confirmed_at=timezone.now())[0]
    push_service.expire(gone)
    push_service.expire(both)

    first = declare("First outage", component)
    assert wait_for(lambda: all_settled(first), timeout=30)
    assert not Subscriber.objects.filter(push_endpoint=gone.endpoint).exists()
    assert not Subscriber.objects.filter(push_endpoint=both.endpoint).exists()
    mixed = Subscriber.objects.get(email="both@example.test")
    assert mixed.push_endpoint is None and mixed.push_keys == {} and mixed.push_confirmed_at is None

    second = declare("Second outage", component)
    assert wait_for(lambda: all_settled(second), timeout=30)
    time.sleep(1)
    tries = Counter(token for token, _ in push_service.answered)
    assert tries[gone.token] == 1 and tries[both.token] == 1  # the one 410, nothing after it
    for event in (first, second):
        got, missing = tally(push_service, kept, event)
        assert not missing and set(got.values()) == {1}
    assert Delivery.objects.filter(event=second, subscriber=mixed, channel="email", status="sent").exists()
    assert not Delivery.objects.filter(event=second, subscriber=mixed, channel="push").exists()


def test_a_400_fails_that_message_only_and_keeps_the_subscription(push_worker, push_service, component):
    browser = push_subscribers(push_service, 1)[0]
    push_service.fail_next(400)
    first = declare("Refused message", component)
    assert wait_for(lambda: all_settled(first), timeout=30)
    delivery = Delivery.objects.get(event=first, channel="push")
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 1 and "400" in delivery.error

    second = declare("Next message", component)
    assert wait_for(lambda: all_settled(second), timeout=30)
    assert [m["tag"] for m in push_service.messages_for(browser)] == [f"event-{second.pk}"]
