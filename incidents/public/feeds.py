"""Atom and RSS feeds of the history: one entry per published incident or maintenance update."""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks

from incidents.models import IncidentUpdate, StatusPage
from incidents.public.page_scope import published_on, trim_updates

FEED_LIMIT = 50


class HistoryRssFeed(Feed):
    def get_object(self, request: HttpRequest) -> StatusPage:
        return request.status_page

    def title(self, page: StatusPage) -> str:
        return f"{page.name} - incident history"

    def link(self) -> str:
        return reverse("history")

    def description(self, page: StatusPage) -> str:
        return f"Incidents and scheduled maintenance on {page.name}, update by update."

    def items(self, page: StatusPage) -> list[IncidentUpdate]:
        updates = (
            IncidentUpdate.objects.filter(incident__in=published_on(page))
            .select_related("incident")
            .order_by("-created_at", "-id")[:FEED_LIMIT]
        )
        return trim_updates(list(updates), page)

    def item_title(self, item: IncidentUpdate) -> str:
        return f"{item.incident.name}: {item.get_status_display()}"

    def item_description(self, item: IncidentUpdate) -> str:
        html = linebreaks(escape(item.body))
        changes = [f"{row.name}: {row.new_label}" for row in item.affected]
        if changes:
            html += "<p>" + escape("; ".join(changes)) + "</p>"
        return html

    def item_link(self, item: IncidentUpdate) -> str:
        # Unique per update, so it doubles as the entry's guid / id.
        return f"{item.incident.get_absolute_url()}#update-{item.pk}"

    def item_pubdate(self, item: IncidentUpdate) -> datetime:
        return item.created_at

    def item_updateddate(self, item: IncidentUpdate) -> datetime:
        return item.created_at

    def item_categories(self, item: IncidentUpdate) -> list[str]:
        return [item.incident.get_kind_display()]


class HistoryAtomFeed(HistoryRssFeed):
    feed_type = Atom1Feed

    def subtitle(self, page: StatusPage) -> str:
        return self.description(page)
