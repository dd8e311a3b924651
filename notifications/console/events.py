"""Deliveries by event: what each event sent, to whom, and what failed."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from incidents.models import Event
from notifications.models import Delivery, DeliveryStatus
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
    status = request.GET.get("status", "")
    if status and status not in DeliveryStatus.values:
        status, bad_status = "", True
    else:
        bad_status = False
    deliveries = event.deliveries.order_by("pk")
    if status:
        deliveries = deliveries.filter(status=status)
    # Addresses are personal data: only Admins see them, in the list and in providers' errors.
    show_addresses = is_admin(request.user) and request.user.has_perm("notifications.view_subscriber")
    if show_addresses:
        deliveries = deliveries.select_related("subscriber").defer(
            *(f"subscriber__{name}" for name in ("event_kinds", "phone_code_hash"))
        )
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    if not show_addresses:
        for delivery in page:
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
    }
    return render(request, "console/events_detail.html", context, status=400 if bad_status else 200)
