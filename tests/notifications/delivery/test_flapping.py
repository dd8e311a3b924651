"""A flapping component is one episode for subscribers, not a message per flip."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import ComponentStatus, Event, EventKind, Probe
from incidents.monitoring.component_status import Observation, record_results
from notifications.delivery import flapping
from notifications.delivery.fanout import fan_out
from notifications.models import Delivery, Subscriber

pytestmark = pytest.mark.django_db


class Clock:
    """timezone.now() under the test's control, so ten minutes of flapping take no time."""

    def __init__(self, monkeypatch):
        self.now = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Notifier:
    """Fans out each new event as the worker would, with the quiet window's releases on the clock."""

    def __init__(self, clock: Clock):
        self.clock, self.seen, self.releases = clock, 0, []

    def _hold(self, component_id: int, seconds: float) -> None:
        self.releases.append((self.clock.now + timedelta(seconds=seconds), component_id))

    def run(self) -> None:
        for event in Event.objects.filter(pk__gt=self.seen).order_by("pk"):
            fan_out(event.pk, enqueue=lambda ids: None, hold=self._hold)
            self.seen = event.pk
        for due in [r for r in self.releases if r[0] <= self.clock.now]:
            self.releases.remove(due)
            event_id = flapping.release(due[1])
            if event_id:
                fan_out(event_id, enqueue=lambda ids: None)


@pytest.fixture
def subscribers(component) -> list[Subscriber]:
    now, kinds = timezone.now(), [EventKind.COMPONENT_STATUS_CHANGED]
    return [
        Subscriber.objects.create(email="ops@example.com", email_confirmed_at=now, event_kinds=kinds),
        Subscriber.objects.create(phone="+15555550123", phone_confirmed_at=now, event_kinds=kinds),
    ]


def per_subscriber(subscribers) -> dict[str, int]:
    return {str(s): Delivery.objects.filter(subscriber=s).count() for s in subscribers}


def test_a_probe_flapping_every_10_s_for_10_minutes_sends_a_handful(
    settings, monkeypatch, component, subscribers
):
    settings.NOTIFY_COMPONENT_QUIET_SECONDS = 300
    probe = Probe.objects.create(component=component, name="push", failure_threshold=1, interval_seconds=10)
    clock = Clock(monkeypatch)
    notifier = Notifier(clock)
    for step in range(60):
        record_results(probe.pk, [Observation(ok=step % 2 == 1, observed_at=clock.now)])
        notifier.run()
        clock.advance(10)
    clock.advance(600)
    notifier.run()

    changes = Event.objects.filter(kind=EventKind.COMPONENT_STATUS_CHANGED).count()
    counts = per_subscriber(subscribers)
    print(f"flapping every 10 s for 10 min: {changes} status changes, messages per subscriber: {counts}")
    assert changes == 60
    assert all(1 <= n <= 4 for n in counts.values())


def test_the_last_message_after_flapping_carries_the_latest_state(
    settings, monkeypatch, component, subscribers
):
    settings.NOTIFY_COMPONENT_QUIET_SECONDS = 300
    probe = Probe.objects.create(component=component, name="push", failure_threshold=1)
    clock = Clock(monkeypatch)
    notifier = Notifier(clock)
    for ok in (False, True, False, True):  # down (told), then up, down, up inside the window: held
        record_results(probe.pk, [Observation(ok=ok, observed_at=clock.now)])
        notifier.run()
        clock.advance(10)
    assert per_subscriber(subscribers) == {str(s): 1 for s in subscribers}

    clock.advance(300)
    notifier.run()

    assert component.__class__.objects.get(pk=component.pk).status == ComponentStatus.OPERATIONAL
    newest = Event.objects.filter(kind=EventKind.COMPONENT_STATUS_CHANGED).latest("pk")
    assert newest.data["to"] == ComponentStatus.OPERATIONAL
    assert Delivery.objects.filter(event=newest).count() == 2  # the latest state, told once
    assert per_subscriber(subscribers) == {str(s): 2 for s in subscribers}


def test_a_flap_back_to_what_subscribers_heard_sends_nothing_more(
    settings, monkeypatch, component, subscribers
):
    settings.NOTIFY_COMPONENT_QUIET_SECONDS = 300
    probe = Probe.objects.create(component=component, name="push", failure_threshold=1)
    clock = Clock(monkeypatch)
    notifier = Notifier(clock)
    for ok in (False, True, False):  # down (told), up, down again: back where subscribers were told
        record_results(probe.pk, [Observation(ok=ok, observed_at=clock.now)])
        notifier.run()
        clock.advance(10)

    clock.advance(400)
    notifier.run()
    clock.advance(400)
    notifier.run()

    assert per_subscriber(subscribers) == {str(s): 1 for s in subscribers}


def test_a_1000_result_flapping_batch_sends_each_subscriber_at_most_two_messages(
    settings, monkeypatch, component, subscribers
):
    settings.NOTIFY_COMPONENT_QUIET_SECONDS = 300
    probe = Probe.objects.create(component=component, name="push", failure_threshold=2)
    clock = Clock(monkeypatch)
    notifier = Notifier(clock)
    start = clock.now - timedelta(minutes=20)
    pattern = [False, False, True] * 333 + [False]
    batch = [Observation(ok=ok, observed_at=start + timedelta(seconds=i)) for i, ok in enumerate(pattern)]

    record_results(probe.pk, batch)
    notifier.run()
    clock.advance(600)
    notifier.run()

    counts = per_subscriber(subscribers)
    print(f"1,000-result fail/fail/ok batch: messages per subscriber: {counts}")
    assert all(1 <= n <= 2 for n in counts.values())
