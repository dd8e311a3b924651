"""The headers of what other sites and apps read from a page: its JSON, its feeds, its calendars.

Any origin may read them (`Access-Control-Allow-Origin: *`: a browser sends no cookie with such a
request, so a script on another site reads exactly what a stranger would) and any cache may keep
them for a short while. A private page's routes are gated before the view runs, and page_access.py
takes both headers off their responses: `private, no-cache`, and no other origin may read them
(a script on another site, run by a visitor inside a page's allowed network, must not).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse

FEED_MAX_AGE_SECONDS = 60  # the feeds and calendars are rendered per request: a minute in any cache


def public_read(view: Callable[..., HttpResponse], *, max_age: int | None = FEED_MAX_AGE_SECONDS):
    """Let any origin read the view's responses; let any cache keep a 200 for `max_age` seconds
    (None: PUBLIC_MAX_AGE_SECONDS, what snapshots.py serves its snapshots with) unless the view
    already said how long."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not response.has_header("Access-Control-Allow-Origin"):
            response["Access-Control-Allow-Origin"] = "*"
        if response.status_code == 200 and not response.has_header("Cache-Control"):
            seconds = settings.PUBLIC_MAX_AGE_SECONDS if max_age is None else max_age
            response["Cache-Control"] = f"public, max-age={seconds}"
        return response

    return wrapper
