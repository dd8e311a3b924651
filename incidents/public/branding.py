"""A page's brand: its accent colour and custom CSS (brand.css), its logo and favicon, its footer links.

Everything is served from this site's own origin as separate files, so the CSP (style-src 'self',
img-src 'self' data:) needs no exception: custom CSS never enters the HTML, and an SVG logo opened on
its own runs under a policy that allows no script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import condition, require_safe

from incidents.models import StatusPage
from incidents.models.pages import lines
from incidents.public.page_routing import page_of

ACCENT = re.compile(r"^#[0-9a-fA-F]{6}$")
LINK_SCHEMES = ("https://", "http://", "/", "mailto:")
IMAGE_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/svg+xml",
    "image/x-icon",
    "image/vnd.microsoft.icon",
}
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
# Browsers check back after this; the ETag makes that a 304 until the page's brand changes.
MAX_AGE = 300
# @import rules (to any URL) and <style> tags pasted around the CSS are dropped; see brand_css_text().
IMPORT_RULE = re.compile(r"@import\b[^;]*;?", re.IGNORECASE)
STYLE_TAG = re.compile(r"</?style\b[^>]*>?", re.IGNORECASE)


@dataclass(frozen=True)
class FooterLink:
    label: str
    url: str


def footer_links(page: StatusPage) -> list[FooterLink]:
    """The page's "Label | URL" lines; a line the model's validation would refuse is left out."""
    links = []
    for line in lines(page.footer_links or ""):
        label, _, url = (part.strip() for part in line.partition("|"))
        if label and url.startswith(LINK_SCHEMES):
            links.append(FooterLink(label, url))
    return links


def accent_of(page: StatusPage) -> str:
    """The accent colour if it is one (the model validates it; a row saved around that is ignored)."""
    return page.accent_colour if ACCENT.match(page.accent_colour or "") else ""


def brand_css_text(page: StatusPage) -> str:
    """`--accent` and the page's custom CSS.

    The CSS is its own text/css file, so nothing in it can close a tag or reach the HTML. Remote
    @import and url() loads are already refused by the CSP (style-src 'self', img-src 'self' data:);
    @import rules are dropped anyway, so the file stays self-contained and a visitor's browser logs no
    violation for them, and <style> tags someone pasted around the CSS are removed so the rules work.
    """
    parts = []
    if accent := accent_of(page):
        parts.append(f":root {{ --accent: {accent}; }}\n")
    custom = STYLE_TAG.sub("", IMPORT_RULE.sub("", page.custom_css or "")).strip()
    if custom:
        parts.append(f"/* {page.name}'s custom CSS */\n{custom}\n")
    return "".join(parts)


def _stamp(page: StatusPage) -> str:
    """Changes with every save of the page (microseconds: two saves in a second differ)."""
    return str(round(page.updated_at.timestamp() * 1_000_000)) if page.updated_at else "0"


@dataclass
class Brand:
    """What base.html needs to dress a public page in its page's brand."""

    page: StatusPage
    links: list[FooterLink] = field(default_factory=list)
    css_url: str = ""
    logo_url: str = ""
    favicon_url: str = ""
    favicon_type: str = ""
    support_url: str = ""


def brand_of(page: StatusPage) -> Brand:
    """URLs follow the request's prefix (/p/<slug>/ or a host's root); ?v= changes with the brand."""
    version = f"?v={_stamp(page)}"
    brand = Brand(page=page, links=footer_links(page))
    if accent_of(page) or (page.custom_css or "").strip():
        brand.css_url = reverse("brand-css") + version
    if page.logo:
        brand.logo_url = reverse("brand-logo") + version
    if page.favicon:
        brand.favicon_url = reverse("brand-favicon") + version
        brand.favicon_type = page.favicon_type if page.favicon_type in IMAGE_TYPES else ""
    if (page.support_url or "").startswith(("https://", "http://")):
        brand.support_url = page.support_url
    return brand


# --- the views (incidents/public/routes.py), per page: at its host's root and under /p/<slug>/


def _etag(kind: str):
    def etag(request: HttpRequest, *args, **kwargs) -> str:
        return f"{kind}-{page_of(request).pk}-{_stamp(page_of(request))}"

    return etag


def _last_modified(request: HttpRequest, *args, **kwargs):
    return page_of(request).updated_at


def _cached(response: HttpResponse, page: StatusPage, kind: str) -> HttpResponse:
    response["Cache-Control"] = f"{'private' if page.is_private else 'public'}, max-age={MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    return response  # condition() adds the ETag and Last-Modified


@require_safe
@condition(etag_func=_etag("css"), last_modified_func=_last_modified)
def brand_css(request: HttpRequest) -> HttpResponse:
    page = page_of(request)
    response = HttpResponse(brand_css_text(page), content_type="text/css; charset=utf-8")
    return _cached(response, page, "css")


def _image(request: HttpRequest, kind: str) -> HttpResponse:
    page = page_of(request)
    data = bytes(getattr(page, kind) or b"")
    if not data:
        raise Http404(f"This page has no {kind}.")
    content_type = getattr(page, f"{kind}_type")
    if content_type not in IMAGE_TYPES:
        content_type = "application/octet-stream"
    response = HttpResponse(data, content_type=content_type)
    if content_type == "image/svg+xml":
        # Opened on its own, an SVG is a document: no script, no loads, only its own inline styles.
        response["Content-Security-Policy"] = SVG_POLICY
    return _cached(response, page, kind)


@require_safe
@condition(etag_func=_etag("logo"), last_modified_func=_last_modified)
def logo(request: HttpRequest) -> HttpResponse:
    return _image(request, "logo")


@require_safe
@condition(etag_func=_etag("favicon"), last_modified_func=_last_modified)
def favicon(request: HttpRequest) -> HttpResponse:
    return _image(request, "favicon")
