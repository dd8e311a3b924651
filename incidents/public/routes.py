"""A status page's own routes: at a page's host root, and under /p/<slug>/ (statuspage/page_urls.py)."""

from __future__ import annotations

from django.urls import path

from incidents.public import access_pages, branding, feeds, pages
from incidents.public.snapshot_routes import SNAPSHOT_ROUTES
from incidents.public.snapshots import served_from_snapshot

urlpatterns = [
    # The page and the v2 JSON, served from snapshots rebuilt on change (public/snapshots.py).
    *(path(r.route, served_from_snapshot(r.view), name=r.name) for r in SNAPSHOT_ROUTES),
    path("components/<int:pk>/", pages.component_detail, name="component-detail"),
    path("incidents/<int:pk>/", pages.incident_detail, name="incident-detail"),
    path("history/", pages.history, name="history"),
    path("history.atom", feeds.HistoryAtomFeed(), name="history-atom"),
    path("history.rss", feeds.HistoryRssFeed(), name="history-rss"),
    # The page's brand (public/branding.py): its accent colour and custom CSS, its logo, its favicon.
    path("brand.css", branding.brand_css, name="brand-css"),
    path("brand/logo", branding.logo, name="brand-logo"),
    path("brand/favicon", branding.favicon, name="brand-favicon"),
    # Signing in to a private page (public/access_pages.py; the gate is public/page_access.py).
    path("access/", access_pages.sign_in, name="page-access"),
    path("access/email/", access_pages.send_link, name="page-access-email"),
    path("access/link/<str:token>/", access_pages.open_link, name="page-access-link"),
]
