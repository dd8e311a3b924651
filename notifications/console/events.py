"""Deliveries by event: what each event sent, to whom, and what failed."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from incidents.models import Event
from notifications.models import Channel, Delivery, DeliveryStatus
from notifications.signup.choices import chat_place, push_host
from statuspage.staff import console_view, is_admin, mask_addresses

EVENTS_PER_PAGE = 50
DELIVERIES_PER_PAGE = 100


def delivery_counts(event_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Deliveries per event by status, in one query; queued includes those being sent."""
    counts: dict[int, dict[str, int]] = {}
    rows = (
        Delivery.objects.filter(event_id__in=list(event_ids))
        .values("event_id", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in rows:
        tally = counts.setdefault(row["event_id"], _empty())
        key = DeliveryStatus.QUEUED if row["status"] == DeliveryStatus.SENDING else row["status"]
        tally[key] = tally.get(key, 0) + row["n"]
        tally["total"] += row["n"]
    return counts


def _empty() -> dict[str, int]:
    return {"queued": 0, "sent": 0, "failed": 0, "suppressed": 0, "total": 0}


@console_view()
def events(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        Event.objects.select_related("incident", "component", "fanout").order_by("-created_at", "-id"),
        EVENTS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    counts = delivery_counts(event.pk for event in page)
    for event in page:
        event.delivery_counts = counts.get(event.pk, _empty())
    return render(request, "console/events.html", {"page": page})


@console_view()
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = get_object_or_404(
        Event.objects.select_related("incident", "component", "incident_update", "fanout"), pk=pk
    )
    status, channel = request.GET.get("status", ""), request.GET.get("channel", "")
    bad_status = bool(status and status not in DeliveryStatus.values)
    bad_channel = bool(channel and channel not in Channel.values)
    status, channel = "" if bad_status else status, "" if bad_channel else channel
    deliveries = event.deliveries.order_by("pk")
    if status:
        deliveries = deliveries.filter(status=status)
    if channel:
        deliveries = deliveries.filter(channel=channel)
    # Addresses are personal data: only Admins see them, in the list and in providers' errors.
    show_addresses = is_admin(request.user) and request.user.has_perm("notifications.view_subscriber")
    if show_addresses:
        deliveries = deliveries.select_related("subscriber").defer(
            *(f"subscriber__{name}" for name in ("event_kinds", "phone_code_hash"))
        )
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    for delivery in page:
        if show_addresses:
            delivery.address = address_of(delivery)
        else:
            delivery.error = mask_addresses(delivery.error)
    counts = {row["status"]: row["n"] for row in event.deliveries.values("status").annotate(n=Count("pk"))}
    context = {
        "event": event,
        "page": page,
        "status": status,
        "show_addresses": show_addresses,
        "statuses": [(value, label, counts.get(value, 0)) for value, label in DeliveryStatus.choices],
        "total": sum(counts.values()),
        "bad_status": bad_status,
        "channel": channel,
        "bad_channel": bad_channel,
        "channels": channel_counts(event),
    }
    bad = bad_status or bad_channel
    return render(request, "console/events_detail.html", context, status=400 if bad else 200)


def channel_counts(event: Event) -> list[tuple[str, str, dict[str, int]]]:
    """(channel, label, deliveries by status with a total) for each channel the event sent on."""
    counts: dict[str, dict[str, int]] = {}
    for row in event.deliveries.values("channel", "status").annotate(n=Count("pk")).order_by():
        tally = counts.setdefault(row["channel"], _empty())
        key = DeliveryStatus.QUEUED if row["status"] == DeliveryStatus.SENDING else row["status"]
        tally[key] += row["n"]
        tally["total"] += row["n"]
    return [(value, label, counts[value]) for value, label in Channel.choices if value in counts]


def address_of(delivery: Delivery) -> str:
    """Where a delivery went, for Admins: a chat channel's app and host and a browser's push service,
    never their URLs (each holds a secret token)."""
    subscriber = delivery.subscriber
    if delivery.channel == Channel.CHAT:
        app, host = chat_place(subscriber.chat_url) if subscriber.chat_url else ("Chat app", "")
        return f"{app} channel ({host})" if host else f"{app} channel"
    if delivery.channel == Channel.PUSH:
        return f"a browser via {push_host(subscriber.push_endpoint)}" if subscriber.push_endpoint else "-"
    address = {Channel.SMS: subscriber.phone, Channel.WEBHOOK: subscriber.webhook_url}.get(
        delivery.channel, subscriber.email
    )
    return address or "-"
