"""Bench-only settings: the project's own, plus a urlconf with hello-world views.

BENCH_UNCACHED=1 turns off every cache the public pages could use (the snapshot
layer's switch and a DummyCache), for the uncached render figures.
"""

from __future__ import annotations

import os

from statuspage.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_UNCACHED") == "1":
    SNAPSHOTS_ENABLED = False
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
