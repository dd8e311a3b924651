"""Badge views: the page's status, a component's status and its uptime, as SVG or shields.io endpoint JSON.

Every README view fetches a badge, so a badge costs a few queries once and then none: the rendered
bytes are cached under the page's snapshot version (snapshots.py rebuilds the page's "/" on every
change that concerns it), so a status change shows at once and nothing is drawn again until then.
Without that version (snapshots off, the cache down, "/" not built yet) a badge is drawn each time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseNotFound
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from incidents.models import Component, ComponentStatus, StatusPage
from incidents.monitoring.uptime_math import format_percent
from incidents.public import badges, snapshot_store, snapshots
from incidents.public.page_scope import on_page
from incidents.public.page_state import page_state
from incidents.public.uptime_bars import uptime_of

MAX_AGE = 60  # what browsers and GitHub's image proxy may keep
# Keyed by the page's version, so a change never waits for these; they only bound how long a
# badge nobody asks for stays, and how long an uptime figure (which moves with time) may lag.
STATUS_CACHE_SECONDS = 600
UPTIME_CACHE_SECONDS = 60
LABEL_MAX = 40
UPTIME_DAYS = (30, 90)
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
CONTENT_TYPES = {"svg": "image/svg+xml", "json": "application/json"}


class BadOption(ValueError):
    """A query option the badge cannot take: a 400 with this text."""


@dataclass(frozen=True)
class Options:
    style: str = "flat"
    label: str | None = None  # None: the badge's own label; "": no label
    days: int = 30


@dataclass(frozen=True)
class Reading:
    label: str
    message: str
    colour: str  # a name in badges.COLOURS


def page_version(page: StatusPage):
    """The version of the page's "/" snapshot: it changes with anything that concerns the page.

    None with snapshots off: nothing rebuilds them then, so an old version would never move on.
    """
    if not snapshots.enabled():
        return None
    key = snapshots.key_of(page, snapshots.canonical_prefix(page))
    return snapshot_store.cache_call("get", snapshot_store.version_key(key))


def options_of(request: HttpRequest, *, uptime: bool = False) -> Options:
    style = request.GET.get("style", "flat")
    if style not in badges.STYLES:
        raise BadOption(f"style must be one of: {', '.join(badges.STYLES)}.")
    label = request.GET.get("label")
    if label is not None and len(label) > LABEL_MAX:
        raise BadOption(f"label must be at most {LABEL_MAX} characters.")
    days = 30
    if uptime:
        raw = request.GET.get("days", "30")
        if raw not in {str(d) for d in UPTIME_DAYS}:
            raise BadOption(f"days must be one of: {', '.join(map(str, UPTIME_DAYS))}.")
        days = int(raw)
    return Options(style=style, label=label, days=days)


# --- what a badge says


def page_reading(page: StatusPage, options: Options) -> Reading:
    state = page_state(page, timelines=False)
    colour = "blue" if state.under_maintenance else badges.INDICATOR_COLOURS.get(state.indicator, "lightgrey")
    return Reading(page.name or "status", state.description, colour)


def _component(page: StatusPage, pk: int) -> Component | None:
    return on_page(page).filter(pk=pk).first()


def component_reading(component: Component, options: Options) -> Reading:
    status = ComponentStatus(component.status)
    return Reading(component.name, status.label.lower(), badges.STATUS_COLOURS.get(status, "lightgrey"))


def uptime_reading(component: Component, options: Options) -> Reading:
    percent = uptime_of([component])[component.pk].window(options.days).uptime
    return Reading(
        f"{component.name} uptime ({options.days}d)", format_percent(percent), badges.uptime_colour(percent)
    )


# --- drawing, caching, answering


def _draw(reading: Reading, options: Options, kind: str) -> bytes:
    label = reading.label if options.label is None else options.label
    if kind == "json":
        shield = {"schemaVersion": 1, "label": label, "message": reading.message, "color": reading.colour}
        return json.dumps(shield).encode()
    return badges.render(label, reading.message, reading.colour, options.style).encode()


def _cache_key(page: StatusPage, version, request: HttpRequest, options: Options, kind: str) -> str:
    # The options as parsed, not the raw query: unknown parameters never make a new entry.
    what = json.dumps([request.path_info, kind, options.style, options.label, options.days])
    return f"badge:{page.slug}:{version}:{hashlib.sha256(what.encode()).hexdigest()[:32]}"


def _answer(request: HttpRequest, page: StatusPage, body: bytes, kind: str) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPES[kind])
    response["Cache-Control"] = f"{'private' if page.is_private else 'public'}, max-age={MAX_AGE}"
    response["X-Content-Type-Options"] = "nosniff"
    if not page.is_private:
        # A private page's gate admits some by network alone: no other site may read its badge.
        response["Access-Control-Allow-Origin"] = "*"
    if kind == "svg":
        # Opened on its own an SVG is a document: no script, no loads. django-csp keeps this header.
        response["Content-Security-Policy"] = SVG_POLICY
    etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
    response["ETag"] = etag
    return get_conditional_response(request, etag=etag, response=response)


def _bad(message: str, status: int = 400) -> HttpResponse:
    cls = HttpResponseBadRequest if status == 400 else HttpResponseNotFound
    return cls(f"{message}\n".encode(), content_type="text/plain; charset=utf-8")


def _badge(request: HttpRequest, kind: str, read, pk: int | None = None, *, uptime: bool = False):
    page = request.status_page
    try:
        options = options_of(request, uptime=uptime)
    except BadOption as error:
        return _bad(str(error))
    version = page_version(page)
    key = _cache_key(page, version, request, options, kind) if version is not None else None
    body = snapshot_store.cache_call("get", key) if key else None
    if body is None:
        if pk is None:
            reading = read(page, options)
        else:
            component = _component(page, pk)
            if component is None:
                return _bad("No such component on this page.", 404)
            reading = read(component, options)
        body = _draw(reading, options, kind)
        if key:
            timeout = UPTIME_CACHE_SECONDS if uptime else STATUS_CACHE_SECONDS
            snapshot_store.cache_call("set", key, body, timeout)
    return _answer(request, page, body, kind)


# --- the views (incidents/public/routes.py)


@require_safe
def page_svg(request: HttpRequest) -> HttpResponse:
    return _badge(request, "svg", page_reading)


@require_safe
def page_json(request: HttpRequest) -> HttpResponse:
    return _badge(request, "json", page_reading)


@require_safe
def component_svg(request: HttpRequest, pk: int) -> HttpResponse:
    return _badge(request, "svg", component_reading, pk)


@require_safe
def component_json(request: HttpRequest, pk: int) -> HttpResponse:
    return _badge(request, "json", component_reading, pk)


@require_safe
def uptime_svg(request: HttpRequest, pk: int) -> HttpResponse:
    return _badge(request, "svg", uptime_reading, pk, uptime=True)


@require_safe
def uptime_json(request: HttpRequest, pk: int) -> HttpResponse:
    return _badge(request, "json", uptime_reading, pk, uptime=True)
