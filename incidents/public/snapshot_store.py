"""Snapshots kept: in the cache every web process reads, and on disk as files.

A snapshot is stored under a key (one per page and path) and written to some files (none, one,
or one per host; see snapshots.py for which). Reads check a few-byte version in the cache and
fetch the body only when it changed.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date

logger = logging.getLogger(__name__)

KEPT_HEADERS = ("Content-Type", "Access-Control-Allow-Origin", "Content-Disposition")
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


def cache_call(method: str, *args):
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


def body_key(key: str) -> str:
    return f"snapshot:{key}"


def version_key(key: str) -> str:
    return f"snapshot-version:{key}"


def from_cache(key: str) -> Snapshot | None:
    """The current snapshot: checked by version, fetched whole only when it changed."""
    version = cache_call("get", version_key(key))
    if version is None:
        return None
    local = _local.get(key)
    if local and local.built_at == version:
        return local
    raw = cache_call("get", body_key(key))
    if not raw:
        return None
    _local[key] = snapshot = Snapshot(*raw)
    return snapshot


def from_disk(target: Path) -> Snapshot | None:
    try:
        meta = json.loads(target.with_name(target.name + ".meta").read_text())
        return Snapshot(target.read_bytes(), meta["headers"], meta["built_at"])
    except (OSError, ValueError, KeyError):
        return None


def store(key: str, files: list[Path], response: HttpResponse) -> Snapshot:
    snapshot = Snapshot(
        response.content, {h: response[h] for h in KEPT_HEADERS if response.has_header(h)}, time.time()
    )
    # Body first, then its version: a reader never sees a version whose body isn't there yet.
    cache_call("set", body_key(key), (snapshot.body, snapshot.headers, snapshot.built_at), None)
    cache_call("set", version_key(key), snapshot.built_at, None)
    _local[key] = snapshot
    for target in files:
        _write_file(target, snapshot)
    return snapshot


def forget(keys: list[str]) -> None:
    """Drop some snapshots from the cache: the next request renders them afresh."""
    cache_call("delete_many", [version_key(k) for k in keys])


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


def remove_files(target: Path) -> None:
    """Remove a snapshot's files (body, .gz, .meta), if there are any."""
    for name in (target.name, target.name + ".gz", target.name + ".meta"):
        target.with_name(name).unlink(missing_ok=True)
