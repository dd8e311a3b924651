"""Saving what a subscriber picked on the manage page: channels, components, event kinds."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from notifications.models import Channel, Subscriber


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
