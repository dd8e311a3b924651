"""WSGI entry for the bench: the real application, plus /__bench/hello, with bench settings."""

from __future__ import annotations

import os

os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()
