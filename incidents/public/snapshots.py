"""The public page and the v2 JSON, rendered once per change and served from the cache.

A change (an event, an edit) re-renders every snapshot after commit: into the cache,
which every web process reads, and onto disk under SNAPSHOT_DIR, mirroring the URL
paths (index.html for "/"), where nginx can serve it directly. A request then takes:
cache -> (cache down or empty) render from the database and store ->
(database down) the last good snapshot on disk, marked stale.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from functools import cached_property, wraps
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import http_date

from incidents.public.snapshot_routes import SNAPSHOT_ROUTES

logger = logging.getLogger(__name__)

KEPT_HEADERS = ("Content-Type", "Access-Control-Allow-Origin")
NOTICE_MARK = b"<!--snapshot-notice-->"
CACHE_PAUSE_SECONDS = 5  # after a cache error, don't try it again for a moment
_cache_down_until = 0.0


@dataclass
class Snapshot:
    body: bytes
    headers: dict
    built_at: float

    @cached_property
    def gzipped(self) -> bytes:
        # Compressed once per snapshot, not per request: a phone fetches a tenth of the bytes.
        return gzip.compress(self.body, compresslevel=6, mtime=0)

    def response(self, *, stale: bool = False, request: HttpRequest | None = None) -> HttpResponse:
        body = self.body
        compress = not stale and request is not None and "gzip" in request.headers.get("Accept-Encoding", "")
        if compress:
            body = self.gzipped
        if stale and NOTICE_MARK in body:
            stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(self.built_at))
            notice = (
                f'<p class="messages"><span class="message error">Live data is unavailable right now. '
                f"This is the last known status, as of {stamp}.</span></p>"
            )
            body = body.replace(NOTICE_MARK, notice.encode())
        response = HttpResponse(body)
        for name, value in self.headers.items():
            response[name] = value
        response["Last-Modified"] = http_date(self.built_at)
        response["Cache-Control"] = f"public, max-age={settings.PUBLIC_MAX_AGE_SECONDS}"
        response["X-Snapshot"] = "stale" if stale else "fresh"
        response["Vary"] = "Accept-Encoding"
        if compress:
            response["Content-Encoding"] = "gzip"
        return response


def enabled() -> bool:
    return settings.SNAPSHOTS_ENABLED


def _key(path: str) -> str:
    return f"snapshot:{path}"


def file_for(path: str) -> Path:
    return Path(settings.SNAPSHOT_DIR) / ("index.html" if path == "/" else path.lstrip("/"))


def _cache_call(method: str, *args):
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return None
    try:
        return getattr(cache, method)(*args)
    except Exception:  # noqa: BLE001 - any cache failure means "no cache"; the database answers
        _cache_down_until = time.monotonic() + CACHE_PAUSE_SECONDS
        logger.warning("cache unavailable; serving from the database for %ss", CACHE_PAUSE_SECONDS)
        return None


# This process's copy of each snapshot: a page is hundreds of KB, its version a few bytes.
_local: dict[str, Snapshot] = {}


def from_cache(path: str) -> Snapshot | None:
    """The current snapshot: checked by version, fetched whole only when it changed."""
    version = _cache_call("get", _version_key(path))
    if version is None:
        return None
    local = _local.get(path)
    if local and local.built_at == version:
        return local
    raw = _cache_call("get", _key(path))
    if not raw:
        return None
    _local[path] = snapshot = Snapshot(*raw)
    return snapshot


def _version_key(path: str) -> str:
    return f"snapshot-version:{path}"


def from_disk(path: str) -> Snapshot | None:
    target = file_for(path)
    try:
        meta = json.loads(target.with_name(target.name + ".meta").read_text())
        return Snapshot(target.read_bytes(), meta["headers"], meta["built_at"])
    except (OSError, ValueError, KeyError):
        return None


def store(path: str, response: HttpResponse) -> Snapshot:
    snapshot = Snapshot(
        response.content, {h: response[h] for h in KEPT_HEADERS if response.has_header(h)}, time.time()
    )
    # Body first, then its version: a reader never sees a version whose body isn't there yet.
    _cache_call("set", _key(path), (snapshot.body, snapshot.headers, snapshot.built_at), None)
    _cache_call("set", _version_key(path), snapshot.built_at, None)
    _local[path] = snapshot
    _write_file(file_for(path), snapshot)
    return snapshot


def _write_file(target: Path, snapshot: Snapshot) -> None:
    """Atomic: nginx and readers see the old file or the new one, never half of one."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        meta = json.dumps({"headers": snapshot.headers, "built_at": snapshot.built_at}).encode()
        files = (
            (target.name + ".meta", meta),
            (target.name + ".gz", snapshot.gzipped),  # for nginx's gzip_static
            (target.name, snapshot.body),
        )
        for name, data in files:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target.parent / name)
    except OSError:
        logger.exception("could not write snapshot %s", target)


def served_from_snapshot(view):
    """Serve a public view from its snapshot; the query string never bypasses the cache."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not enabled() or request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        path = request.path
        cached = from_cache(path)
        if cached:
            return cached.response(request=request)
        try:
            # Rendered for an anonymous visitor, never this one: the result is served to everyone.
            response = view(_anonymous_request(path), *args, **kwargs)
        except DatabaseError:
            snapshot = from_disk(path)
            if snapshot is None:
                raise
            logger.warning("database unavailable: serving the last snapshot of %s", path)
            return snapshot.response(stale=True)
        if response.status_code == 200:
            return store(path, response).response(request=request)
        return response

    return wrapper


def _anonymous_request(path: str) -> HttpRequest:
    """A plain GET of `path` by nobody in particular, at the site's own address."""
    site = urlsplit(settings.SITE_URL)
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.META = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "HTTP_HOST": site.netloc,
        "SERVER_NAME": site.hostname or "localhost",
        "SERVER_PORT": str(site.port or (443 if site.scheme == "https" else 80)),
        "wsgi.url_scheme": site.scheme or "http",
    }
    request.user = AnonymousUser()
    return request


def rebuild_all() -> int:
    """Render every snapshot from the database now; return how many were stored."""
    built = 0
    for route in SNAPSHOT_ROUTES:
        path = reverse(route.name)
        try:
            response = route.view(_anonymous_request(path))
        except DatabaseError:
            logger.warning("database unavailable: snapshot %s kept as it was", path)
            return built
        if response.status_code == 200:
            store(path, response)
            built += 1
    return built


def _rebuild_safely() -> None:
    try:
        rebuild_all()
    except Exception:  # noqa: BLE001 - a failed rebuild must not fail the change that caused it
        logger.exception("snapshot rebuild failed")


def rebuild_after_commit(**kwargs) -> None:
    """Schedule one rebuild for the current transaction, however many changes it holds."""
    if not enabled():
        return
    connection = transaction.get_connection()
    # Already scheduled by this transaction (from an enclosing or the same atomic block)?
    active = set(connection.savepoint_ids)
    if any(func is _rebuild_safely and sids <= active for sids, func, *_ in connection.run_on_commit):
        return
    transaction.on_commit(_rebuild_safely)
