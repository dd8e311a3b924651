"""A subscriber's choices from the manage page (channels, components, event kinds): saved, and said."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.models import EventKind
from notifications.delivery.channels.chat import ChatUrlRefused, get_backend
from notifications.models import CHANNEL_FIELDS, Channel, Subscriber

# Components as the manage page lists them: by group, then by position within the group.
COMPONENT_ORDER = (F("group__position").asc(nulls_last=True), "group__name", "position", "name")
# Channels the manage page's "Send to" boxes turn on and off (a webhook has its own section there).
FORM_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.CHAT, Channel.PUSH)
# Where each chat app's cloud posts; a self-hosted app (Mattermost, Matrix, ntfy) names its own host.
CHAT_HOSTS = {
    "slack": "hooks.slack.com",
    "discord": "discord.com",
    "gchat": "chat.googleapis.com",
    "telegram": "api.telegram.org",
    "ntfy": "ntfy.sh",
}


def chat_place(url: str) -> tuple[str, str]:
    """(the app's name, the host it posts to) for a stored chat address; never the URL, which holds
    the webhook's token (an Apprise URL's "host" is often a token too, so it is never read as one)."""
    try:
        destination = get_backend().destination(url)
    except ChatUrlRefused:
        return "Chat app", ""
    if destination.self_hosted:
        return destination.label, urlsplit(destination.self_hosted).hostname or ""
    if destination.app == "teams":  # workflows://<region>.logic.azure.com:443/...: a public host
        return destination.label, urlsplit(destination.url).hostname or ""
    return destination.label, CHAT_HOSTS.get(destination.app, "")


def push_host(endpoint: str) -> str:
    """The push service a browser's subscription lives at (fcm.googleapis.com, ...): the endpoint's path
    is the subscription itself."""
    return urlsplit(endpoint or "").hostname or ""


def channel_options(subscriber: Subscriber) -> list[tuple[str, str]]:
    """The manage page's "Send to" boxes: (channel, words) for each confirmed channel it offers."""
    return [
        (c.channel, c.text if c.channel in (Channel.CHAT, Channel.PUSH) else f"{c.label}: {c.address}")
        for c in summarize_channels(subscriber)
        if c.channel in FORM_CHANNELS
    ]


def channels_on(subscriber: Subscriber) -> list[str]:
    """The offered channels not turned off: the boxes ticked when the manage page opens."""
    return [
        channel
        for channel in FORM_CHANNELS
        if not getattr(subscriber, f"{CHANNEL_FIELDS[channel][1]}_opted_out_at")
    ]


@transaction.atomic
def save_choices(subscriber: Subscriber, *, channels, all_components, components, event_kinds) -> None:
    now = timezone.now()
    # Only channels the form offered (confirmed ones): an unticked box can't stop a phone not yet confirmed.
    opted_out = []
    for channel in FORM_CHANNELS:
        address, prefix = CHANNEL_FIELDS[channel]
        if getattr(subscriber, address) and getattr(subscriber, f"{prefix}_confirmed_at"):
            field = f"{prefix}_opted_out_at"
            keep = channel in channels
            setattr(subscriber, field, None if keep else (getattr(subscriber, field) or now))
            opted_out.append(field)
    subscriber.all_components = all_components
    subscriber.event_kinds = sorted(event_kinds)
    subscriber.save(update_fields=[*opted_out, "all_components", "event_kinds"])
    subscriber.components.set([] if all_components else components)


@dataclass(frozen=True)
class ChannelChoice:
    channel: str
    label: str
    address: str
    state: str  # "on", "off" (they turned it off) or "stopped" (the provider said it can't be delivered)

    @property
    def text(self) -> str:
        """The channel in words: "Email to a@example.com", "Slack channel (hooks.slack.com)"."""
        if self.channel == Channel.CHAT:
            return f"{self.label} ({self.address})" if self.address else self.label
        if self.channel == Channel.PUSH:
            return f"{self.label} ({self.address})"
        return f"{self.label} to {self.address}"


@dataclass(frozen=True)
class ChoicesSummary:
    channels: list[ChannelChoice]  # confirmed addresses only, as on the manage page
    components: list[str] | None  # None: every component, including ones added later
    event_kinds: list[str]

    @property
    def sending(self) -> bool:
        return any(c.state == "on" for c in self.channels)

    def channel(self, channel: str) -> ChannelChoice | None:
        return next((c for c in self.channels if c.channel == channel), None)


def summarize_channels(subscriber: Subscriber) -> list[ChannelChoice]:
    """Each confirmed channel with its words and state."""
    chat_app, chat_host = chat_place(subscriber.chat_url) if subscriber.chat_url else ("", "")
    return [
        ChannelChoice(channel, label, address, "stopped" if suppressed else "off" if opted_out else "on")
        for channel, label, address, confirmed, opted_out, suppressed in (
            (
                Channel.EMAIL,
                "Email",
                subscriber.email,
                subscriber.email_confirmed_at,
                subscriber.email_opted_out_at,
                subscriber.email_suppressed_at,
            ),
            (
                Channel.SMS,
                "SMS",
                subscriber.phone,
                subscriber.phone_confirmed_at,
                subscriber.phone_opted_out_at,
                subscriber.phone_suppressed_at,
            ),
            (  # a webhook's "stopped" is its pause after repeated failures (the manage page resumes it)
                Channel.WEBHOOK,
                "Webhook",
                subscriber.webhook_url,
                subscriber.webhook_confirmed_at,
                subscriber.webhook_opted_out_at,
                subscriber.webhook_suppressed_at,
            ),
            (  # the app's name and host only: the URL holds the webhook's token
                Channel.CHAT,
                f"{chat_app} channel",
                chat_host,
                subscriber.chat_confirmed_at,
                subscriber.chat_opted_out_at,
                subscriber.chat_suppressed_at,
            ),
            (
                Channel.PUSH,
                "Notifications in the browser that subscribed",
                f"via {push_host(subscriber.push_endpoint)}",
                subscriber.push_confirmed_at,
                subscriber.push_opted_out_at,
                subscriber.push_suppressed_at,
            ),
        )
        if confirmed and getattr(subscriber, CHANNEL_FIELDS[channel][0])
    ]


def summarize(subscriber: Subscriber) -> ChoicesSummary:
    """Their stored choices in words, for the pages that tell them what they will get."""
    channels = summarize_channels(subscriber)
    components = (
        None
        if subscriber.all_components
        else list(subscriber.components.order_by(*COMPONENT_ORDER).values_list("name", flat=True))
    )
    chosen = set(subscriber.event_kinds)
    kinds = [kind.label for kind in EventKind if kind.value in chosen]
    return ChoicesSummary(channels, components, kinds)
