"""The gate of a private page: who may open its routes, decided before any view (or snapshot) runs.

Every route of a private page (the page's own routes, statuspage/page_urls.py) answers only to
those let in by the page's access rule (access_keys.py); staff may open any private page. The
sign-in pages (access_pages.py) and unsubscribing open to anyone. Other routes on a private page's host
(the console, the admin, the probe webhooks) keep their own rules. A visitor not let in gets the
sign-in page when a browser asks for an HTML page, else a bare 404 that names nothing.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import Resolver404, ResolverMatch, get_resolver, resolve
from django.utils.cache import patch_vary_headers

from incidents.models import PageAccess, StatusPage
from incidents.public import access_keys as keys
from incidents.public.access_pages import sign_in_page
from incidents.public.page_routing import PAGE_URLCONF

# Open on a private page to anyone: signing in, and unsubscribing (one-click, from a mail client with
# no session). Confirming and managing a subscription need the page's access: a subscription someone
# started for an address that may not open the page is never confirmed, and tells it nothing.
OPEN_ROUTES = frozenset({"page-access", "page-access-email", "page-access-link", "unsubscribe"})


@lru_cache(maxsize=1)
def page_route_names() -> frozenset[str]:
    """The names of a page's routes: what answers under /p/<slug>/."""
    return frozenset(name for name in get_resolver(PAGE_URLCONF).reverse_dict if isinstance(name, str))


def not_found() -> HttpResponse:
    return HttpResponseNotFound(b"Not found.\n", content_type="text/plain; charset=utf-8")


def wants_html(request: HttpRequest) -> bool:
    """A browser opening a page: every HTML route ends in a slash, the JSON and the feeds do not."""
    return request.method in ("GET", "HEAD") and request.path_info.endswith("/")


def allowed(request: HttpRequest, page: StatusPage) -> bool:
    access = page.access
    if access == PageAccess.PASSWORD and keys.shared_in(request, page):
        # Feed readers and JSON clients send the token each time; a browser keeps a pass too.
        if wants_html(request) and not keys.session_pass(request, page):
            keys.grant(request, page)
        return True
    if access in (PageAccess.PASSWORD, PageAccess.EMAIL) and keys.session_pass(request, page):
        return True
    if access == PageAccess.NETWORK and keys.network_allows(page, request):
        return True
    return keys.staff_allowed(request, page)


def refused(request: HttpRequest, page: StatusPage) -> HttpResponse:
    request.page_access_shut = True  # the sign-in page shows nothing of the page (banner.py, base.html)
    if page.access == PageAccess.NETWORK or not wants_html(request):
        return not_found()
    return sign_in_page(request, page, next_path=request.get_full_path())


def _match(request: HttpRequest) -> ResolverMatch | None:
    try:
        return resolve(request.path_info, urlconf=getattr(request, "urlconf", None) or settings.ROOT_URLCONF)
    except Resolver404:
        return None


class PageAccessMiddleware:
    """Keep a private page's routes to those its access rule lets in; never let a shared cache keep them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        match = _match(request)
        if match is not None and match.url_name not in page_route_names():
            # The console, the admin, the API, the ingest: their own rules, and no page to look up.
            return self.get_response(request)
        page = getattr(request, "status_page", None)
        if page is None or not page.is_private:
            return self.get_response(request)
        if match is None:
            response = not_found()  # the 404 page would show the page's name and its incidents
        elif match.url_name in OPEN_ROUTES:
            # Their pages must not show a stranger the page's incidents (banner.py reads this).
            request.page_access_shut = not allowed(request, page)
            response = self.get_response(request)
        elif allowed(request, page):
            response = self.get_response(request)
        else:
            response = refused(request, page)
        response["X-Robots-Tag"] = "noindex"
        response["Cache-Control"] = "private, no-cache"
        # The public JSON, feeds and calendars let any origin read them (public_headers.py); a
        # private page's must not be read by a script on another site (say in an allowed network).
        del response["Access-Control-Allow-Origin"]
        patch_vary_headers(response, ["Cookie"])
        return response
