"""Statuspage's status embed: one <script> tag puts a page's status on any site, during an incident.

`/embed/script.js` adds a fixed-position iframe of `/embed/frame` to the site, hidden. The frame
shows the page's newest active incident (else its maintenance in progress) and posts
`{action: "showFrame"}` to the site; its dismiss button posts `{action: "dismissFrame"}` (both with
the shown update's key, which the script keeps in the site's storage to stay dismissed); with
nothing active it holds a test card that `window.statusEmbedTest()` shows. The same protocol as
Statuspage's embed, so a site switches by changing the script's host.

The frame may be framed by any site (its own CSP and no X-Frame-Options); every other route keeps
`frame-ancestors 'none'`. Private pages have no embed: both routes are a 404 there, even for
visitors the page lets in, so no other site can learn a private page's state from the frame.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

from csp.decorators import csp_replace
from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from incidents.models import (
    ACTIVE_MAINTENANCE_STATUSES,
    UNRESOLVED_STATUSES,
    Incident,
    IncidentKind,
    IncidentUpdate,
    StatusPage,
)
from incidents.public.page_scope import published_on

POSITIONS = ("bottom-left", "bottom-right", "top-left", "top-right")
# Statuspage's names for the embed's colours.
COLOURS = (
    "incident_background_color",
    "incident_text_color",
    "maintenance_background_color",
    "maintenance_text_color",
)
HEX = re.compile(r"^#?(?P<hex>[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
FLAGS = ("true", "false")
# The script never changes with the page's state; the frame does, so only briefly.
SCRIPT_MAX_AGE = 300
FRAME_MAX_AGE = 10
UPDATE_CHARS = 220


class BadOption(ValueError):
    pass


@dataclass(frozen=True)
class EmbedOptions:
    position: str = POSITIONS[0]
    mobile: bool = False
    colours: Mapping[str, str] | None = None

    def colour(self, name: str) -> str:
        return (self.colours or {}).get(name, "")


def hex_colour(name: str, value: str) -> str:
    """ "#rrggbb" from "rrggbb", "#rrggbb", "rgb" or "#rgb" (the # is optional: it needs %23 in a URL)."""
    match = HEX.match(value.strip())
    if not match:
        raise BadOption(f"{name} must be a hex colour such as ff0000 or %23ff0000, not {value[:20]!r}.")
    digits = match["hex"].lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return f"#{digits}"


def parse_options(query: Mapping[str, str]) -> EmbedOptions:
    """The embed's query options, checked; other parameters are ignored (a site may add its own)."""
    position = query.get("position") or POSITIONS[0]
    if position not in POSITIONS:
        raise BadOption(f"position must be one of {', '.join(POSITIONS)}.")
    mobile = query.get("mobile") or "false"
    if mobile not in FLAGS:
        raise BadOption("mobile must be true or false.")
    colours = {name: hex_colour(name, query[name]) for name in COLOURS if query.get(name)}
    return EmbedOptions(position=position, mobile=mobile == "true", colours=colours)


def readable_on(background: str) -> str:
    """Dark or white text, whichever reads better on the background (WCAG relative luminance)."""

    def channel(pair: str) -> float:
        c = int(pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(background[i : i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#1a202c" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def not_found() -> HttpResponse:
    """A private page has no embed: the same bare 404 as its gate gives strangers."""
    return HttpResponseNotFound(b"Not found.\n", content_type="text/plain; charset=utf-8")


def bad_option(exc: BadOption) -> HttpResponse:
    return HttpResponseBadRequest(f"{exc}\n".encode(), content_type="text/plain; charset=utf-8")


@require_safe
def script(request: HttpRequest) -> HttpResponse:
    """The script a site includes; it reads its own address (document.currentScript.src)."""
    page = request.status_page
    if page.is_private:
        return not_found()
    try:
        parse_options(request.GET)
    except BadOption as exc:
        return bad_option(exc)
    body = render_to_string("incidents/embed_script.js", {"title": f"{page.name} status"})
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    return response


def active_item(page: StatusPage) -> tuple[Incident | None, int]:
    """The newest unresolved incident, else the newest maintenance in progress; and how many others."""
    open_items = published_on(page).filter(
        Q(kind=IncidentKind.INCIDENT, status__in=UNRESOLVED_STATUSES)
        | Q(kind=IncidentKind.MAINTENANCE, status__in=ACTIVE_MAINTENANCE_STATUSES)
    )
    items = list(open_items.order_by("-created_at", "-id").only("id", "kind", "name", "status", "impact"))
    items.sort(key=lambda item: item.kind != IncidentKind.INCIDENT)  # stable: newest first within kind
    if not items:
        return None, 0
    return items[0], len(items) - 1


def frame_context(page: StatusPage, options: EmbedOptions) -> dict:
    item, others = active_item(page)
    latest = None
    if item is not None:
        latest = IncidentUpdate.objects.filter(incident=item).order_by("-created_at", "-id").first()
    kind = "test" if item is None else item.kind
    prefix = "maintenance" if kind == IncidentKind.MAINTENANCE else "incident"
    background = options.colour(f"{prefix}_background_color")
    text = options.colour(f"{prefix}_text_color") or (readable_on(background) if background else "")
    return {
        "page": page,
        "kind": kind,
        "item": item,
        "latest": latest,
        "others": others,
        # Which update the visitor dismissed: a later update shows the frame again.
        "key": f"{item.pk}-{latest.pk if latest else 0}" if item else "",
        "background": background,
        "text": text,
        "options": options,
        "time_zone": page_zone(page),
        "update_chars": UPDATE_CHARS,
        "page_url": reverse("status-page"),
    }


def page_zone(page: StatusPage) -> str:
    try:
        zoneinfo.ZoneInfo(page.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return settings.TIME_ZONE
    return page.time_zone


@require_safe
def frame(request: HttpRequest) -> HttpResponse:
    """The card the script frames; only it may be framed, not a refusal (a 404, a 400) in its place."""
    if request.status_page.is_private:
        return not_found()
    try:
        options = parse_options(request.GET)
    except BadOption as exc:
        return bad_option(exc)
    return framed_card(request.status_page, options)


@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def framed_card(page: StatusPage, options: EmbedOptions) -> HttpResponse:
    body = render_to_string("incidents/embed_frame.html", frame_context(page, options))
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={FRAME_MAX_AGE}"
    response["X-Robots-Tag"] = "noindex"
    return response
