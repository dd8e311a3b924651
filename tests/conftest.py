from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import Component, ComponentGroup, Event, EventKind, Probe
from incidents.public import page_routing
from incidents.public.page_routing import page_index
from notifications.providers import sms_backends


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    """Tests send SMS into an in-memory outbox unless they choose another backend."""
    settings.SMS_BACKEND = "notifications.providers.sms_backends.LocmemBackend"
    sms_backends.outbox.clear()
    yield sms_backends.outbox
    sms_backends.outbox.clear()


@pytest.fixture(autouse=True)
def no_snapshots(settings, tmp_path):
    """Pages render from the database in tests; tests of the snapshot layer switch it on."""
    settings.SNAPSHOTS_ENABLED = False
    settings.SNAPSHOT_DIR = str(tmp_path / "snapshots")
    settings.SNAPSHOT_PRIVATE_DIR = str(tmp_path / "snapshots-private")


@pytest.fixture(autouse=True)
def fresh_page_index(monkeypatch):
    """Each process keeps the pages in memory; a test reads them from its own database."""
    monkeypatch.setattr(page_routing, "_index", page_routing.PageIndex())


@pytest.fixture(autouse=True)
def generous_abuse_limits(settings):
    """Counters live in the real Redis across tests; tests of the limits set their own."""
    settings.SIGNUP_LIMIT_PER_IP = (10_000, 3600)
    settings.SMS_SIGNUP_LIMIT_PER_IP = (10_000, 3600)
    settings.CONFIRMATIONS_PER_DESTINATION = (10_000, 3600)
    settings.SMS_CODE_TRIES_PER_IP = (10_000, 3600)


@pytest.fixture
def group(db) -> ComponentGroup:
    return ComponentGroup.objects.create(name="Message queue", position=1)


@pytest.fixture
def component(group) -> Component:
    return Component.objects.create(name="Message queue eu-west", group=group, position=1)


@pytest.fixture
def probe(component) -> Probe:
    return Probe.objects.create(component=component, name="push")


@pytest.fixture
def staff_client(client, db):
    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-for-tests-only")
    client.force_login(user)
    return client


@pytest.fixture
def smtp_server():
    from tests.fakes.smtp_server import SmtpServer

    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def twilio_server():
    from tests.fakes.twilio_server import FakeTwilio

    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture
def delivery_worker(transactional_db, smtp_server, twilio_server, tmp_path, settings):
    """A real Celery worker sending to the loopback SMTP and Twilio-compatible servers."""
    from tests.fakes.worker import Worker, purge_queue

    settings.SITE_URL = "http://status.example.test"
    purge_queue()
    worker = Worker(
        tmp_path / "worker.log",
        env={
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_server.port),
            "DEFAULT_FROM_EMAIL": "status@example.test",
            "SMS_BACKEND": "notifications.providers.twilio_sms.TwilioBackend",
            "TWILIO_ACCOUNT_SID": twilio_server.account_sid,
            "TWILIO_AUTH_TOKEN": twilio_server.auth_token,
            "TWILIO_FROM_NUMBER": "+15005550006",
            "TWILIO_API_BASE_URL": twilio_server.base_url,
            "SITE_URL": settings.SITE_URL,
        },
    ).start()
    yield worker
    worker.stop()
    print(worker.log()[-4000:])


@pytest.fixture
def browser(monkeypatch):
    """A headless Chromium; ORM calls stay allowed while Playwright's event loop runs."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    from tests.fakes.browser import ARGS, CHROMIUM

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        # ORM calls made while Playwright ran hold their own connection; left open, it keeps
        # PostgreSQL from dropping the test database.
        connections.close_all()
        browser.close()


def status_of(component) -> str:
    """The component's status as stored now."""
    component.refresh_from_db()
    return component.status


def status_changes(component) -> list[tuple[str, str]]:
    """Every recorded (from, to) status change of the component, oldest first."""
    events = Event.objects.filter(component=component, kind=EventKind.COMPONENT_STATUS_CHANGED)
    return [(e.data["from"], e.data["to"]) for e in events.order_by("id")]


def count_queries(client, path: str, **params) -> int:
    """How many queries one successful GET of the page costs, once the pages are known."""
    page_index()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params).status_code == 200
    return len(queries)
