"""Webhook, chat and push subscribers for the delivery failure tests, and what each receiver got.

`OtherChannels` starts the loopback receivers (signed webhooks and the Slack/Discord/Teams endpoints
in one tests/fakes/webhook_receiver.py, a Web Push service that decrypts in tests/fakes/push_service.py),
makes confirmed subscribers of each on the default page, gives a worker the environment that points
it at them, and counts per delivery what each got about one event:

- webhook: by the X-Statuspage-Delivery id. A repeat under the same id (an attempt whose answer was
  lost, sent again) is `resent`; a receiver drops it by that id, so `duplicates` counts only a
  subscriber reached under two ids.
- chat: by the manage link each message carries. Chat apps take no idempotency key and can't be asked
  what they took, so a repeat is a duplicate the channel's members see.
- push: by browser and the event's tag. A repeat carries the same tag and Topic, so it replaces the
  notification on screen (and one still waiting at the push service): `resent`, not a duplicate.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from notifications.delivery import subscriber_links
from notifications.delivery.channels.chat import get_backend
from notifications.delivery.channels.webhook import delivery_key
from notifications.delivery.webhook_payload import DELIVERY_HEADER
from notifications.models import Channel, Delivery, DeliveryStatus, Subscriber
from tests.fakes.push_service import PushService
from tests.fakes.webhook_receiver import WebhookReceiver

CHANNELS = (Channel.WEBHOOK, Channel.CHAT, Channel.PUSH)
CHAT_APPS = ("slack", "discord", "teams")
SECRET = "whsec-failure-tests"
MANAGE_LINK = re.compile(r"/subscribe/manage/([^/\s\"\\]+)/")


def chat_url(app: str) -> str:
    """A fresh incoming-webhook URL of the app, as its users paste it."""
    n = uuid.uuid4().hex[:10].upper()
    return {
        "slack": f"https://hooks.slack.com/services/T{n}/B{n}/{n.lower()}",
        "discord": f"https://discord.com/api/webhooks/{int(n, 16)}/tok-{n.lower()}",
        "teams": f"https://prod-01.westus.logic.azure.com:443/workflows/{n.lower()}/triggers/manual/paths/"
        f"invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=sig{n}",
    }[app]


@dataclass
class ChannelTally:
    channel: str
    expected: int  # deliveries made for the event on this channel
    duplicates: int  # a subscriber sees the message twice
    missing: int
    resent: int = 0  # repeats the channel folds into one (same webhook id, same push tag)
    strangers: int = 0  # messages about the event to no subscriber of it

    def line(self) -> str:
        extra = f" resent={self.resent}" if self.channel != Channel.CHAT else ""
        return (
            f"channel={self.channel} deliveries={self.expected} duplicates={self.duplicates} "
            f"missing={self.missing}{extra}"
        )


class OtherChannels:
    """The receivers and subscribers of the webhook, chat and push channels for one test."""

    def __init__(self) -> None:
        self.receiver = WebhookReceiver(secret=SECRET).start()
        self.push = PushService(settings.VAPID_PUBLIC_KEY).start()
        self.counts: dict[str, int] = dict.fromkeys(CHANNELS, 0)

    def stop(self) -> None:
        self.receiver.stop()
        self.push.stop()

    def worker_env(self) -> dict[str, str]:
        """What a worker needs to reach the loopback receivers as it would the real ones."""
        return {
            "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
            "CHAT_BACKEND": "tests.fakes.chat_apps.LoopbackAppriseBackend",
            "CHAT_LOOPBACK_URL": self.receiver.base_url,
            "VAPID_PRIVATE_KEY": settings.VAPID_PRIVATE_KEY,
            "VAPID_SUBJECT": "mailto:ops@example.test",
        }

    def subscribe(self, webhooks: int, chats: int, pushes: int) -> None:
        Subscriber.objects.bulk_create(self.rows(webhooks, chats, pushes))

    def rows(self, webhooks: int, chats: int, pushes: int) -> list[Subscriber]:
        """Confirmed subscribers to everything on the default page (unsaved); chats spread over the apps."""
        now = timezone.now()
        backend = get_backend()
        rows = [
            Subscriber(
                webhook_url=self.receiver.url(f"/hook/{n}"),
                webhook_secret=SECRET,
                webhook_confirmed_at=now,
                email=f"hook{n}@example.test",  # the contact; not confirmed, so it gets no emails
            )
            for n in range(webhooks)
        ]
        rows += [
            Subscriber(chat_url=backend.destination(chat_url(CHAT_APPS[n % 3])).url, chat_confirmed_at=now)
            for n in range(chats)
        ]
        for _ in range(pushes):
            browser = self.push.subscribe()
            rows.append(
                Subscriber(push_endpoint=browser.endpoint, push_keys=browser.keys(), push_confirmed_at=now)
            )
        for channel, n in zip(CHANNELS, (webhooks, chats, pushes), strict=True):
            self.counts[channel] += n
        return rows

    @property
    def subscribers(self) -> int:
        return sum(self.counts.values())

    def received(self) -> int:
        """Everything the receivers took so far (any event)."""
        return (
            len(self.receiver.deliveries) + sum(map(len, self.receiver.chat.values())) + len(self.push.pushes)
        )

    def tally(self, event, name: str) -> list[ChannelTally]:
        rows = Delivery.objects.filter(event=event)
        return [self._webhooks(event, rows), self._chats(name, rows), self._pushes(event, rows)]

    def _webhooks(self, event, rows) -> ChannelTally:
        expected = {delivery_key(d) for d in rows.filter(channel=Channel.WEBHOOK)}
        with self.receiver.lock:
            got = [(d.path, d.headers.get(DELIVERY_HEADER)) for d in self.receiver.deliveries]
        ids = Counter(key for _, key in got if key and key.endswith(f".event-{event.pk}"))
        ids_per_hook = Counter(path for path, key in set(got) if key in ids)
        return ChannelTally(
            Channel.WEBHOOK,
            expected=len(expected),
            duplicates=sum(n - 1 for n in ids_per_hook.values()),
            missing=len(expected - set(ids)),
            resent=sum(n - 1 for n in ids.values()),
            strangers=len(set(ids) - expected),
        )

    def _chats(self, name: str, rows) -> ChannelTally:
        expected = set(rows.filter(channel=Channel.CHAT).values_list("subscriber_id", flat=True))
        got: Counter = Counter()
        for app in CHAT_APPS:
            with self.receiver.lock:
                payloads = list(self.receiver.chat[app])
            for payload in payloads:
                text = json.dumps(payload, ensure_ascii=False)
                if name in text and (found := MANAGE_LINK.search(text)):
                    subscriber = subscriber_links.subscriber_for_manage_token(found[1])
                    got[subscriber.pk if subscriber else None] += 1
        return ChannelTally(
            Channel.CHAT,
            expected=len(expected),
            duplicates=sum(n - 1 for n in got.values()),
            missing=len(expected - set(got)),
            strangers=len(set(got) - expected),
        )

    def _pushes(self, event, rows) -> ChannelTally:
        endpoints = rows.filter(channel=Channel.PUSH).values_list("subscriber__push_endpoint", flat=True)
        expected = {endpoint.rsplit("/", 1)[-1] for endpoint in endpoints}
        with self.push.lock:
            got = Counter(p.token for p in self.push.pushes if p.message.get("tag") == f"event-{event.pk}")
        return ChannelTally(
            Channel.PUSH,
            expected=len(expected),
            duplicates=0,  # one tag per event: a browser shows one notification however often it came
            missing=len(expected - set(got)),
            resent=sum(n - 1 for n in got.values()),
            strangers=len(set(got) - expected),
        )

    def check(self, event, name: str, *, in_flight: Counter | None = None) -> list[ChannelTally]:
        """Print a line per channel and assert each subscriber got one message.

        `in_flight` counts deliveries (by channel) that were being sent when a worker was killed: each
        may have gone out twice, as a webhook under its one id, a push under its one tag, and (the one
        case the channel cannot avoid) a second chat message.
        """
        killed, in_flight = in_flight is not None, in_flight or Counter()
        tallies = self.tally(event, name)
        for tally in tallies:
            print(tally.line() + (f" in_flight_at_kills={in_flight[tally.channel]}" if killed else ""))
        for tally in tallies:
            assert tally.expected == self.counts[tally.channel], tally
            assert tally.missing == 0 and tally.strangers == 0, tally
            assert tally.resent <= in_flight[tally.channel], f"resent with no kill to explain it: {tally}"
            if tally.channel == Channel.CHAT:
                assert tally.duplicates <= in_flight[Channel.CHAT], tally
            else:
                assert tally.duplicates == 0, tally
        sent = Delivery.objects.filter(event=event, channel__in=CHANNELS, status=DeliveryStatus.SENT)
        assert sent.count() == self.subscribers
        return tallies


def in_flight(event) -> Counter:
    """Deliveries of the event in "sending" now, by channel."""
    rows = Delivery.objects.filter(event=event, status=DeliveryStatus.SENDING, channel__in=CHANNELS)
    return Counter(rows.values_list("channel", flat=True))
