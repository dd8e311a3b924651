"""Which page a request is for: by its path (/p/<slug>/...) or by its Host, else the default page.

The pages are few and change rarely, so each process keeps them in memory while a version in the
cache says they have not changed (for a few seconds when the cache is down); with the database down
it keeps the last list it read, so snapshots still find their page.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError, transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import get_script_prefix, reverse, set_script_prefix
from django.utils.functional import SimpleLazyObject

from incidents.models import StatusPage
from incidents.public.snapshot_store import cache_call
from incidents.timeline.page_setup import ensure_default_page

logger = logging.getLogger(__name__)

INDEX_SECONDS = 5
VERSION_KEY = "status-pages-version"
PAGE_PATH = re.compile(r"^/p/(?P<slug>[-\w]+)(?P<rest>/.*)?$")
# Under /p/<slug>/ only the page's own routes answer: never the console, the admin or the ingest.
PAGE_URLCONF = "statuspage.page_urls"


@dataclass
class PageIndex:
    by_id: dict[int, StatusPage] = field(default_factory=dict)
    by_slug: dict[str, StatusPage] = field(default_factory=dict)
    by_host: dict[str, StatusPage] = field(default_factory=dict)
    hosts_of: dict[int, list[str]] = field(default_factory=dict)
    default: StatusPage | None = None
    loaded_at: float = 0.0
    version: str | None = None


_index = PageIndex()


def forget_pages(**kwargs) -> None:
    """post_save / post_delete of a page or a host: every process reads them again once it commits."""
    _index.loaded_at, _index.version = 0.0, None
    transaction.on_commit(lambda: cache_call("set", VERSION_KEY, uuid.uuid4().hex, None))


def page_index() -> PageIndex:
    global _index
    version = cache_call("get", VERSION_KEY)
    if _index.default is not None and (
        (version is not None and version == _index.version)
        or (version is None and time.monotonic() - _index.loaded_at < INDEX_SECONDS)
    ):
        return _index
    if version is None:
        version = uuid.uuid4().hex
        cache_call("add", VERSION_KEY, version, None)
        version = cache_call("get", VERSION_KEY)
    try:
        default = ensure_default_page()
        pages = list(StatusPage.objects.prefetch_related("hosts"))
    except DatabaseError:
        if _index.default is None:
            # Never read: a stand-in default, enough to serve its snapshots.
            _index.default = StatusPage(name=settings.SITE_NAME, slug="main", is_default=True)
            _index.by_slug = {"main": _index.default}
        logger.warning("database unavailable: routing pages by the last list read")
        return _index
    index = PageIndex(loaded_at=time.monotonic(), version=version)
    for page in pages:
        index.by_id[page.pk] = page
        index.by_slug[page.slug] = page
        index.hosts_of[page.pk] = [h.host for h in page.hosts.all()]
        for host in index.hosts_of[page.pk]:
            index.by_host[host] = page
        if page.pk == default.pk:
            index.default = page
    _index = index
    return index


def page_for_host(host: str) -> StatusPage:
    index = page_index()
    host = host.lower()
    return index.by_host.get(host) or index.by_host.get(host.rsplit(":", 1)[0]) or index.default


def page_of(request: HttpRequest) -> StatusPage:
    """The request's page; a request that bypassed PageMiddleware gets its host's."""
    page = getattr(request, "status_page", None)
    return page if page is not None else page_for_host(request.get_host())


def hosts_of(page: StatusPage) -> list[str]:
    return page_index().hosts_of.get(page.pk, [])


def page_url(page: StatusPage, path: str = "/") -> str:
    """An absolute URL on the page (for emails, feeds and the JSON): its first host, else SITE_URL."""
    site = urlsplit(settings.SITE_URL)
    hosts = hosts_of(page)
    if hosts:
        base = f"{site.scheme}://{hosts[0]}"
    elif page.is_default:
        base = settings.SITE_URL
    else:
        base = f"{settings.SITE_URL}/p/{page.slug}"
    return base + path


def page_path(name: str, *args) -> str:
    """A page route's path from the page's root ("/incidents/5/"), whichever prefix this request has."""
    return "/" + reverse(name, args=args)[len(get_script_prefix()) :]


class PageMiddleware:
    """Sets request.status_page; under /p/<slug>/ the rest of the path is routed as the page's root."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = PAGE_PATH.match(request.path_info)
        if not match:
            # Looked up when first read: the console, the API and the ingest never need it.
            request.status_page = SimpleLazyObject(lambda: page_for_host(request.get_host()))
            return self.get_response(request)
        page = page_index().by_slug.get(match["slug"])
        if page is None:
            raise Http404("No such status page.")
        if match["rest"] is None:
            query = request.META.get("QUERY_STRING")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
        request.status_page = page
        request.path_info = match["rest"]
        request.urlconf = PAGE_URLCONF
        previous = get_script_prefix()
        # reverse() and {% url %} now give /p/<slug>/... for the rest of this request.
        set_script_prefix(f"/p/{page.slug}/")
        try:
            return self.get_response(request)
        finally:
            set_script_prefix(previous)
