"""Each page and its v2 JSON, rendered once per change and served from the cache.

A change re-renders, after its transaction commits, the snapshots of the pages it concerns
only. A request then takes: cache -> (cache down or empty) render from the database and store
-> (database down) the last good snapshot on disk, marked stale.

On disk, nginx serves `SNAPSHOT_DIR/$host` (README): a public page's snapshots are written under
each of its hosts (the default page's under SITE_URL's host too), or under SITE_URL's host at
p/<slug>/ for a page without hosts. Private pages' snapshots, and each page's other address,
go only to SNAPSHOT_PRIVATE_DIR, read back by the app when the database is down and never
served without the page's access check.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, transaction
from django.db.models.signals import post_delete
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, get_urlconf, set_script_prefix, set_urlconf

from incidents.models import Component, Incident, IncidentUpdate, PageComponent, PageHost, StatusPage
from incidents.public import snapshot_store as kept
from incidents.public.page_routing import PAGE_URLCONF, hosts_of, page_index
from incidents.public.page_scope import pages_showing
from incidents.public.snapshot_routes import SNAPSHOT_ROUTES

logger = logging.getLogger(__name__)


def enabled() -> bool:
    return settings.SNAPSHOTS_ENABLED


def canonical_prefix(page: StatusPage) -> str:
    """Where a page's snapshots are rebuilt on change: its hosts' root, else /p/<slug>/."""
    return "/" if page.is_default or hosts_of(page) else f"/p/{page.slug}/"


def key_of(page: StatusPage, path: str) -> str:
    return f"{page.slug}:{path}"


def files_of(page: StatusPage, path: str) -> list[Path]:
    relative = path.lstrip("/")
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    prefix = canonical_prefix(page)
    if page.is_private or not path.startswith(prefix):
        return [Path(settings.SNAPSHOT_PRIVATE_DIR) / page.slug / relative]
    site_host = urlsplit(settings.SITE_URL).hostname or "localhost"
    hosts = [h.rsplit(":", 1)[0] for h in hosts_of(page)] if prefix == "/" else []
    if page.is_default or prefix != "/":
        hosts.append(site_host)
    return [Path(settings.SNAPSHOT_DIR) / host / relative for host in dict.fromkeys(hosts)]


def _respond(snapshot: kept.Snapshot, page: StatusPage, request: HttpRequest | None, stale=False):
    response = snapshot.response(stale=stale, request=request)
    if page.is_private:
        response["Cache-Control"] = "private, no-cache"  # never kept by a shared cache or CDN
    return response


def served_from_snapshot(view):
    """Serve a public view from its page's snapshot; the query string never bypasses the cache."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not enabled() or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        page, path = request.status_page, request.path
        cached = kept.from_cache(key_of(page, path))
        if cached:
            return _respond(cached, page, request)
        try:
            # Rendered for an anonymous visitor, never this one: the result is served to everyone let in.
            response = view(_anonymous_request(page, path), *args, **kwargs)
        except DatabaseError:
            snapshot = kept.from_disk(files_of(page, path)[0])
            if snapshot is None:
                raise
            logger.warning("database unavailable: serving the last snapshot of %s", path)
            return _respond(snapshot, page, None, stale=True)
        if response.status_code == 200:
            return _respond(kept.store(key_of(page, path), files_of(page, path), response), page, request)
        return response

    return wrapper


def _anonymous_request(page: StatusPage, path: str) -> HttpRequest:
    """A plain GET of `path` on the page by nobody in particular, at the page's own address."""
    site = urlsplit(settings.SITE_URL)
    hosts = hosts_of(page)
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.META = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "HTTP_HOST": hosts[0] if hosts else site.netloc,
        "SERVER_NAME": site.hostname or "localhost",
        "SERVER_PORT": str(site.port or (443 if site.scheme == "https" else 80)),
        "wsgi.url_scheme": site.scheme or "http",
    }
    request.user = AnonymousUser()
    request.status_page = page
    return request


@contextmanager
def _routed_as(prefix: str):
    """reverse() as a request under `prefix` sees it (what PageMiddleware sets for /p/<slug>/)."""
    previous_prefix, previous_urlconf = get_script_prefix(), get_urlconf()
    if prefix != "/":
        set_script_prefix(prefix)
        set_urlconf(PAGE_URLCONF)
    try:
        yield
    finally:
        set_script_prefix(previous_prefix)
        set_urlconf(previous_urlconf)


def rebuild_pages(page_ids: set[int] | None = None) -> int:
    """Render the snapshots of some pages (every page: None) now; return how many were stored."""
    try:
        index = page_index()
        pages = [p for pk, p in index.by_id.items() if page_ids is None or pk in page_ids]
    except DatabaseError:
        return 0
    built = 0
    for page in pages:
        if page.is_private:
            _unpublish(page)
        prefix = canonical_prefix(page)
        for route in SNAPSHOT_ROUTES:
            path = prefix + route.route
            try:
                with _routed_as(prefix):
                    response = route.view(_anonymous_request(page, path))
            except DatabaseError:
                logger.warning("database unavailable: snapshot %s kept as it was", path)
                return built
            if response.status_code == 200:
                kept.store(key_of(page, path), files_of(page, path), response)
                built += 1
        if prefix == "/":
            # Its /p/<slug>/ address renders again on its next request.
            kept.forget([key_of(page, f"/p/{page.slug}/{route.route}") for route in SNAPSHOT_ROUTES])
    return built


def _unpublish(page: StatusPage) -> None:
    """Remove what nginx could serve of a page that has become private."""
    public = StatusPage(pk=page.pk, slug=page.slug, is_default=page.is_default)
    prefix = canonical_prefix(public)
    for route in SNAPSHOT_ROUTES:
        for target in files_of(public, prefix + route.route):
            kept.remove_files(target)


def remove_host_files(sender=None, instance: PageHost | None = None, **kwargs) -> None:
    """post_delete of a host: nginx must not go on serving the page there."""
    for route in SNAPSHOT_ROUTES:
        relative = route.route or "index.html"
        kept.remove_files(Path(settings.SNAPSHOT_DIR) / instance.host.rsplit(":", 1)[0] / relative)


def rebuild_all() -> int:
    return rebuild_pages(None)


class _Rebuild:
    """The on_commit callback of one transaction: what it changed, and so which pages to rebuild."""

    def __init__(self) -> None:
        self.incidents: set[int] = set()
        self.components: set[int] = set()
        self.pages: set[int] = set()
        self.everything = False

    def note(self, sender=None, instance=None, event=None, signal=None, **kwargs) -> None:
        if signal is post_delete:  # what it was on can no longer be told
            self.everything = True
        elif event is not None:
            self.components.update([event.component_id] if event.component_id else [])
            self.incidents.update([event.incident_id] if event.incident_id else [])
        elif isinstance(instance, Incident):
            self.incidents.add(instance.pk)
        elif isinstance(instance, IncidentUpdate):
            self.incidents.add(instance.incident_id)
        elif isinstance(instance, StatusPage):
            self.pages.add(instance.pk)
        elif isinstance(instance, (PageComponent, PageHost)):
            self.pages.add(instance.page_id)
        elif isinstance(instance, Component):
            self.components.add(instance.pk)
        else:  # a group
            self.everything = True

    def page_ids(self) -> set[int] | None:
        if self.everything:
            return None
        pages = set(self.pages)
        pages.update(
            PageComponent.objects.filter(component_id__in=self.components).values_list("page_id", flat=True)
        )
        for incident in Incident.objects.filter(pk__in=self.incidents):
            pages.update(pages_showing(incident).values_list("pk", flat=True))
        return pages

    def __call__(self) -> None:
        try:
            rebuild_pages(self.page_ids())
        except Exception:  # noqa: BLE001 - a failed rebuild must not fail the change that caused it
            logger.exception("snapshot rebuild failed")


def rebuild_after_commit(**kwargs) -> None:
    """Note a change; one rebuild per transaction, of the pages its changes concern, after commit."""
    if not enabled():
        return
    connection = transaction.get_connection()
    # Already scheduled by this transaction (from an enclosing or the same atomic block)?
    active = set(connection.savepoint_ids)
    for sids, func, *_ in connection.run_on_commit:
        if isinstance(func, _Rebuild) and sids <= active:
            func.note(**kwargs)
            return
    rebuild = _Rebuild()
    rebuild.note(**kwargs)
    transaction.on_commit(rebuild)
