"""The public history: published incidents and maintenance grouped by month, paginated by months."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Case, DateTimeField, F, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from incidents.models import Incident, IncidentKind, StatusPage
from incidents.monitoring.uptime_math import format_duration
from incidents.public.page_scope import published_on

MONTHS_PER_PAGE = 3


@dataclass
class HistoryEntry:
    incident: Incident
    started_at: datetime

    @property
    def ended_at(self) -> datetime | None:
        return self.incident.resolved_at

    @property
    def duration(self) -> timedelta | None:
        """How long it lasted; None while it is still open."""
        if self.ended_at is None:
            return None
        return max(self.ended_at - self.started_at, timedelta(0))

    @property
    def duration_text(self) -> str:
        return format_duration(self.duration.total_seconds()) if self.duration is not None else "ongoing"


@dataclass
class Month:
    month: date
    entries: list[HistoryEntry] = field(default_factory=list)


def _history_queryset(status_page: StatusPage):
    """Published incidents and maintenance that have started, each with the moment it started.

    Maintenance starts at its window; it is listed once the window opens (before that
    it is on the status page as upcoming).
    """
    started = Case(
        When(kind=IncidentKind.MAINTENANCE, scheduled_for__isnull=False, then=F("scheduled_for")),
        default=F("created_at"),
        output_field=DateTimeField(),
    )
    return published_on(status_page).annotate(started=started).filter(started__lte=timezone.now())


def month_paginator(status_page: StatusPage) -> Paginator:
    """One page item per month that has history, newest first (one query)."""
    months = (
        _history_queryset(status_page)
        .annotate(month=TruncMonth("started"))
        .values_list("month", flat=True)
        .distinct()
        .order_by("-month")
    )
    return Paginator(list(months), MONTHS_PER_PAGE)


def months_of(page: Page, status_page: StatusPage) -> list[Month]:
    """The entries of the page's months, newest first (one query however many months or entries)."""
    if not page.object_list:
        return []
    newest, oldest = page.object_list[0], page.object_list[-1]
    end = (newest + timedelta(days=32)).replace(day=1)
    queryset = (
        _history_queryset(status_page)
        .filter(started__gte=oldest, started__lt=end)
        .order_by("-started", "-id")
        .only("id", "kind", "name", "status", "impact", "created_at", "resolved_at", "scheduled_for")
    )
    months = {_month_key(m): Month(month=_month_key(m)) for m in page.object_list}
    for incident in queryset:
        key = _month_key(incident.started)
        if key in months:
            months[key].entries.append(HistoryEntry(incident=incident, started_at=incident.started))
    return list(months.values())


def _month_key(value: datetime) -> date:
    return (
        timezone.localtime(value).date().replace(day=1)
        if timezone.is_aware(value)
        else value.date().replace(day=1)
    )
