"""Atom and RSS feeds of the history: one entry per published incident or maintenance update."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks

from incidents.models import IncidentUpdate

FEED_LIMIT = 50


class HistoryRssFeed(Feed):
    def title(self) -> str:
        return f"{settings.SITE_NAME} - incident history"

    def link(self) -> str:
        return reverse("history")

    def description(self) -> str:
        return f"Incidents and scheduled maintenance on {settings.SITE_NAME}, update by update."

    def items(self) -> list[IncidentUpdate]:
        return list(
            IncidentUpdate.objects.filter(incident__is_published=True)
            .select_related("incident")
            .order_by("-created_at", "-id")[:FEED_LIMIT]
        )

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

    def subtitle(self) -> str:
        return self.description()
