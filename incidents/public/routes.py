"""A status page's own routes: at a page's host root, and under /p/<slug>/ (statuspage/page_urls.py)."""

from __future__ import annotations

from django.urls import path

from incidents.public import (
    access_pages,
    badge_views,
    branding,
    calendar,
    component_feeds,
    embed,
    feeds,
    pages,
)
from incidents.public.public_headers import public_read
from incidents.public.snapshot_routes import SNAPSHOT_ROUTES
from incidents.public.snapshots import served_from_snapshot


def snapshot_view(route):
    """A snapshot-served route; its JSON and calendar readable by any origin, kept as a snapshot is."""
    view = served_from_snapshot(route.view)
    return public_read(view, max_age=None) if route.route.endswith((".json", ".ics")) else view


urlpatterns = [
    # The page and the v2 JSON, served from snapshots rebuilt on change (public/snapshots.py).
    *(path(r.route, snapshot_view(r), name=r.name) for r in SNAPSHOT_ROUTES),
    path("components/<int:pk>/", pages.component_detail, name="component-detail"),
    path("incidents/<int:pk>/", pages.incident_detail, name="incident-detail"),
    path("history/", pages.history, name="history"),
    # Feeds and calendars: readable by any origin, a minute in any cache (public/public_headers.py).
    path("history.atom", public_read(feeds.HistoryAtomFeed()), name="history-atom"),
    path("history.rss", public_read(feeds.HistoryRssFeed()), name="history-rss"),
    path(
        "components/<int:pk>/history.atom",
        public_read(component_feeds.ComponentAtomFeed()),
        name="component-history-atom",
    ),
    path(
        "components/<int:pk>/history.rss",
        public_read(component_feeds.ComponentRssFeed()),
        name="component-history-rss",
    ),
    path(
        "components/<int:pk>/maintenance.ics",
        public_read(calendar.component_calendar),
        name="component-maintenance-ics",
    ),
    # The page's brand (public/branding.py): its accent colour and custom CSS, its logo, its favicon.
    path("brand.css", branding.brand_css, name="brand-css"),
    path("brand/logo", branding.logo, name="brand-logo"),
    path("brand/favicon", branding.favicon, name="brand-favicon"),
    # Badges (public/badge_views.py): SVG in shields' styles, and shields.io's endpoint JSON.
    path("badge.svg", badge_views.page_svg, name="badge"),
    path("badge.json", badge_views.page_json, name="badge-json"),
    path("badge/components/<int:pk>.svg", badge_views.component_svg, name="badge-component"),
    path("badge/components/<int:pk>.json", badge_views.component_json, name="badge-component-json"),
    path("badge/components/<int:pk>/uptime.svg", badge_views.uptime_svg, name="badge-uptime"),
    path("badge/components/<int:pk>/uptime.json", badge_views.uptime_json, name="badge-uptime-json"),
    # Statuspage's status embed (public/embed.py): the script a site includes, and the frame it adds.
    path("embed/script.js", embed.script, name="embed-script"),
    path("embed/frame", embed.frame, name="embed-frame"),
    # Signing in to a private page (public/access_pages.py; the gate is public/page_access.py).
    path("access/", access_pages.sign_in, name="page-access"),
    path("access/email/", access_pages.send_link, name="page-access-email"),
    path("access/link/<str:token>/", access_pages.open_link, name="page-access-link"),
]
