"""The subscriber list, its search and filters, and the streaming CSV export."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from incidents.models import Component
from notifications.console.subscriber_forms import SubscriberFilterForm
from notifications.models import CHANNEL_FIELDS, Subscriber
from notifications.signup.choices import chat_place, push_host
from notifications.signup.csv_rows import FORMULA_START
from statuspage.staff import console_view

PER_PAGE = 50
EXPORT_CHUNK = 2000
EXPORT_COLUMNS = [
    "email",
    "phone",
    "email_confirmed",
    "phone_confirmed",
    "all_components",
    "components",
    "event_kinds",
    "created_at",
    "page",
    "webhook_url",
    "webhook_status",
    "chat_host",  # the app's host only: a chat URL holds its webhook's token
    "chat_status",
    "push",
    "push_status",
]


def _subscribers() -> QuerySet[Subscriber]:
    return (
        Subscriber.objects.defer("phone_code_hash")
        .select_related("page")
        .prefetch_related(Prefetch("components", queryset=Component.objects.only("pk", "name")))
    )


@console_view("notifications.view_subscriber")
def subscriber_list(request: HttpRequest) -> HttpResponse:
    form = SubscriberFilterForm(request.GET)
    if not form.is_valid():
        context = {"form": form, "page": None, "query": ""}
        return render(request, "console/subscribers.html", context, status=400)
    page = Paginator(form.filter(_subscribers()).order_by("-pk"), PER_PAGE).get_page(request.GET.get("page"))
    for s in page:  # chat and push by app and host: their URLs hold tokens, never shown
        s.chat_app, s.chat_host = chat_place(s.chat_url) if s.chat_url else ("", "")
        s.push_host = push_host(s.push_endpoint) if s.push_endpoint else ""
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "console/subscribers.html", {"form": form, "page": page, "query": query.urlencode()}
    )


class _Echo:
    """A file-like object that hands back what csv.writer writes, for streaming."""

    def write(self, value: str) -> str:
        return value


@console_view("notifications.view_subscriber")
def export(request: HttpRequest) -> HttpResponse:
    form = SubscriberFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponse("Bad filter: " + form.errors.as_text(), status=400, content_type="text/plain")
    # Chunked iteration (prefetching per chunk) keeps memory flat however many subscribers there are.
    subscribers = form.filter(_subscribers()).order_by("pk").iterator(chunk_size=EXPORT_CHUNK)
    response = StreamingHttpResponse(_rows(subscribers), content_type="text/csv; charset=utf-8")
    filename = f"subscribers-{timezone.now():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _rows(subscribers: Iterator[Subscriber]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for s in subscribers:
        yield writer.writerow(
            [
                _cell(s.email or ""),
                s.phone or "",
                _yes(s.email_confirmed_at),
                _yes(s.phone_confirmed_at),
                _yes(s.all_components),
                _cell(";".join(c.name for c in s.components.all())),
                ";".join(s.event_kinds or []),
                s.created_at.isoformat(),
                s.page.slug,
                _cell(s.webhook_url or ""),
                webhook_status(s),
                chat_place(s.chat_url)[1] if s.chat_url else "",
                channel_status(s, "chat"),
                _yes(s.push_endpoint),
                channel_status(s, "push"),
            ]
        )


def webhook_status(s: Subscriber) -> str:
    """The webhook's state in a word: on, paused (repeated failures), off (unsubscribed), unconfirmed."""
    status = channel_status(s, "webhook")
    return "paused" if status == "stopped" else status


def channel_status(s: Subscriber, channel: str) -> str:
    """A channel's state in a word: on, stopped (undeliverable), off (unsubscribed) or unconfirmed."""
    address, prefix = CHANNEL_FIELDS[channel]
    if not getattr(s, address):
        return ""
    if not getattr(s, f"{prefix}_confirmed_at"):
        return "unconfirmed"
    return (
        "stopped"
        if getattr(s, f"{prefix}_suppressed_at")
        else "off"
        if getattr(s, f"{prefix}_opted_out_at")
        else "on"
    )


def _yes(value) -> str:
    return "yes" if value else "no"


def _cell(value: str) -> str:
    """Keep a spreadsheet from running a cell as a formula (an address like =1+2@x.test is valid)."""
    return "'" + value if value.startswith(FORMULA_START) else value
