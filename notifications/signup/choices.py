"""A subscriber's choices from the manage page (channels, components, event kinds): saved, and said."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidents.models import EventKind
from notifications.models import Channel, Subscriber

# Components as the manage page lists them: by group, then by position within the group.
COMPONENT_ORDER = (F("group__position").asc(nulls_last=True), "group__name", "position", "name")


@transaction.atomic
def save_choices(subscriber: Subscriber, *, channels, all_components, components, event_kinds) -> None:
    now = timezone.now()
    # Only channels the form offered (confirmed ones): an unticked box can't stop a phone not yet confirmed.
    if subscriber.email_confirmed_at:
        keep = Channel.EMAIL in channels
        subscriber.email_opted_out_at = None if keep else (subscriber.email_opted_out_at or now)
    if subscriber.phone_confirmed_at:
        keep = Channel.SMS in channels
        subscriber.phone_opted_out_at = None if keep else (subscriber.phone_opted_out_at or now)
    subscriber.all_components = all_components
    subscriber.event_kinds = sorted(event_kinds)
    subscriber.save(
        update_fields=["email_opted_out_at", "phone_opted_out_at", "all_components", "event_kinds"]
    )
    subscriber.components.set([] if all_components else components)


@dataclass(frozen=True)
class ChannelChoice:
    channel: str
    label: str
    address: str
    state: str  # "on", "off" (they turned it off) or "stopped" (the provider said it can't be delivered)


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


def summarize(subscriber: Subscriber) -> ChoicesSummary:
    """Their stored choices in words, for the pages that tell them what they will get."""
    channels = [
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
        )
        if address and confirmed
    ]
    components = (
        None
        if subscriber.all_components
        else list(subscriber.components.order_by(*COMPONENT_ORDER).values_list("name", flat=True))
    )
    chosen = set(subscriber.event_kinds)
    kinds = [kind.label for kind in EventKind if kind.value in chosen]
    return ChoicesSummary(channels, components, kinds)
