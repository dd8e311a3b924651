"""`make run` looks like the product: DEBUG off, WhiteNoise, real error pages, a favicon, a quiet log."""

from __future__ import annotations

import logging
import os
import re
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_leaves_debug_off_unless_asked():
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "MAKEFLAGS", "MFLAGS")}
    recipe = subprocess.run(
        ["make", "-n", "-W", "requirements.txt", "run"], cwd=ROOT, env=env, capture_output=True, text=True
    ).stdout
    assert "statuspage.devstack" in recipe
    assert not re.search(r"DEBUG=\$?\{DEBUG:-(true|1|yes|on)\}", recipe), recipe


def test_whitenoise_is_pinned_and_serves_static_files_through_the_middleware():
    assert re.search(r"^whitenoise==\d", (ROOT / "requirements.txt").read_text(), re.M)
    assert settings.MIDDLEWARE[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    assert settings.STORAGES["staticfiles"]["BACKEND"].startswith("whitenoise.storage.")


@pytest.mark.django_db
def test_the_favicon_is_a_static_svg_linked_from_every_page(client):
    page = client.get("/history/").content.decode()
    link = re.search(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)"', page)
    assert link, "no SVG favicon link in the base layout"

    icon = client.get(link.group(1))
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


def test_favicon_ico_answers_with_the_svg(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")


@pytest.mark.django_db
def test_an_unknown_page_is_the_products_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert settings.SITE_NAME in body
    assert 'href="/"' in body  # back to the status page
    assert 'rel="stylesheet" href="/static/site.css"' in body  # the site's own layout, not Django's bare page


@pytest.mark.urls("tests.statuspage.failing_urls")
def test_a_server_error_is_the_products_500_and_needs_no_database(client):
    # No django_db mark: any query while rendering the error page would fail this test.
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong" in body
    assert settings.SITE_NAME in body
    assert 'rel="stylesheet" href="/static/site.css"' in body


def test_the_worker_log_leaves_out_each_dispatch_of_due_probes(caplog):
    received = logging.getLogger("celery.worker.strategy")
    succeeded = logging.getLogger("celery.app.trace")
    beat = logging.getLogger("celery.beat")
    with caplog.at_level(logging.INFO):
        received.info(
            "Task %(name)s[%(id)s] received", {"name": "incidents.tasks.dispatch_due_probes", "id": "1"}
        )
        succeeded.info(
            "Task %(name)s[%(id)s] succeeded in %(runtime)ss: %(return_value)s",
            {"name": "incidents.tasks.dispatch_due_probes", "id": "1", "runtime": 0.01, "return_value": 0},
        )
        beat.info(
            "Scheduler: Sending due task %s (%s)",
            "dispatch-due-probes",
            "incidents.tasks.dispatch_due_probes",
        )
        received.info(
            "Task %(name)s[%(id)s] received", {"name": "notifications.tasks.fanout_event", "id": "2"}
        )
        succeeded.error(
            "Task %(name)s[%(id)s] raised unexpected: %(exc)s",
            {"name": "incidents.tasks.dispatch_due_probes", "id": "3", "exc": "boom"},
        )
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "Task notifications.tasks.fanout_event[2] received",
        "Task incidents.tasks.dispatch_due_probes[3] raised unexpected: boom",
    ]


@pytest.mark.django_db
def test_the_start_banner_points_staff_to_the_console(settings):
    from io import StringIO

    settings.SITE_URL = "http://localhost:8703"
    out = StringIO()
    call_command("ensure_staff_user", stdout=out)
    call_command("ensure_staff_user", stdout=out)
    text = out.getvalue()
    assert "http://localhost:8703/console/" in text
    assert "/admin/" not in text
