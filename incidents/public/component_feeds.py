"""Atom and RSS feeds of one component's history: the updates of the incidents and maintenance that
affect it, on the request's page (another page's component is a 404)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from incidents.models import Component, IncidentUpdate, StatusPage
from incidents.public.feeds import FEED_LIMIT, HistoryRssFeed
from incidents.public.page_scope import on_page, published_on, trim_updates


@dataclass(frozen=True)
class ComponentOnPage:
    page: StatusPage
    component: Component


class ComponentRssFeed(HistoryRssFeed):
    def get_object(self, request: HttpRequest, pk: int) -> ComponentOnPage:
        page = request.status_page
        return ComponentOnPage(page, get_object_or_404(on_page(page), pk=pk))

    def title(self, obj: ComponentOnPage) -> str:
        return f"{obj.component.name} - {obj.page.name} incident history"

    def link(self, obj: ComponentOnPage) -> str:
        return reverse("component-detail", args=[obj.component.pk])

    def description(self, obj: ComponentOnPage) -> str:
        return f"Incidents and scheduled maintenance affecting {obj.component.name}, update by update."

    def items(self, obj: ComponentOnPage) -> list[IncidentUpdate]:
        incidents = published_on(obj.page).filter(components=obj.component)
        updates = (
            IncidentUpdate.objects.filter(incident__in=incidents)
            .select_related("incident")
            .order_by("-created_at", "-id")[:FEED_LIMIT]
        )
        # The changes an update lists: this page's components only (an incident may span pages).
        return trim_updates(list(updates), obj.page)


class ComponentAtomFeed(ComponentRssFeed):
    feed_type = Atom1Feed

    def subtitle(self, obj: ComponentOnPage) -> str:
        return self.description(obj)
