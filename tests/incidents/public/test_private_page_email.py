"""Private pages signed in by an emailed link: only allowed addresses get one, and it works once."""

from __future__ import annotations

import re
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail, signing
from django.test import Client

from incidents.models import PageAccess
from statuspage.celery import app as celery_app
from tests.incidents.public.test_private_pages import (  # noqa: F401 - snapshots_on is a fixture
    HOST,
    assert_let_in,
    assert_shut_out,
    fresh_ip,
    make_page,
    snapshots_on,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def hosts(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    settings.NUM_PROXIES = 0


@pytest.fixture(autouse=True)
def tasks_run_at_once():
    """The sign-in link is sent by a Celery task; here it runs in the request, as a worker would run it."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def ask_for_link(client: Client, email: str, ip: str | None = None):
    return client.post(
        "/access/email/", {"email": email, "next": "/history/"}, HTTP_HOST=HOST, REMOTE_ADDR=ip or fresh_ip()
    )


def link_in(message) -> str:
    return re.search(r"https?://\S+/access/link/\S+", message.body).group(0)


@pytest.mark.parametrize("rule", ["domain", "list"])
@pytest.mark.usefixtures("snapshots_on")
def test_an_allowed_address_gets_a_link_that_lets_its_session_in_once(client, rule):
    address = f"ann-{uuid.uuid4().hex[:8]}@Example.COM"
    fields = {"allowed_email_domains": "example.com"} if rule == "domain" else {"allowed_emails": address}
    page, component, incident = make_page(PageAccess.EMAIL, **fields)
    assert client.get("/", HTTP_HOST=HOST).status_code == 401

    sent = ask_for_link(client, address)
    assert sent.status_code == 200 and "a sign-in link is on its way" in sent.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [address]
    link = urlsplit(link_in(mail.outbox[0]))
    assert link.netloc == HOST and parse_qs(link.query)["next"] == ["/history/"]
    # Opening the link (as a mail scanner does) signs nobody in; the person's click on it does.
    scanner = Client()
    shown = scanner.get(link.path, {"next": "/history/"}, HTTP_HOST=HOST)
    assert shown.status_code == 200 and "Sign in" in shown.content.decode()
    assert_shut_out(scanner, component, incident)
    opened = client.post(link.path, {"next": "/history/"}, HTTP_HOST=HOST)
    assert opened.status_code == 302 and opened["Location"] == "/history/"
    assert_let_in(client)
    assert client.post(link.path, HTTP_HOST=HOST).status_code == 302  # the same session, again: fine

    someone_else = Client()
    assert someone_else.post(link.path, HTTP_HOST=HOST).status_code == 410
    assert_shut_out(someone_else, component, incident)
    assert mail.outbox[0].from_email.startswith(page.name)  # the page's name, then the address


def test_a_disallowed_address_gets_the_same_answer_and_no_mail(client):
    make_page(PageAccess.EMAIL, allowed_email_domains="example.com", allowed_emails="bob@partner.test")
    allowed = ask_for_link(client, f"ann-{uuid.uuid4().hex[:8]}@example.com")
    mail.outbox.clear()
    refused = ask_for_link(client, f"eve-{uuid.uuid4().hex[:8]}@elsewhere.test")
    assert refused.status_code == allowed.status_code == 200
    strip = re.compile(r"[\w.-]+@[\w.-]+|csrfmiddlewaretoken\S+")
    assert strip.sub("", refused.content.decode()) == strip.sub("", allowed.content.decode())
    assert mail.outbox == []
    assert ask_for_link(client, "not an address").status_code == 400


def test_forged_edited_and_expired_links_are_refused(client, monkeypatch):
    page, *_ = make_page(PageAccess.EMAIL, allowed_email_domains="example.com")
    address = f"ann-{uuid.uuid4().hex[:8]}@example.com"
    ask_for_link(client, address)
    path = urlsplit(link_in(mail.outbox[0])).path
    token = path.split("/")[-2]
    edited = token[:-3] + ("aaa" if token[-3:] != "aaa" else "bbb")
    assert client.get(f"/access/link/{edited}/", HTTP_HOST=HOST).status_code == 400
    forged = signing.TimestampSigner(key="not-our-key", salt="statuspage.page-access.email-link")
    fake = forged.sign_object({"p": page.pk, "e": "eve@example.com"})
    assert client.get(f"/access/link/{fake}/", HTTP_HOST=HOST).status_code == 400

    real_time = time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() - 31 * 60)
    ask_for_link(client, address)
    monkeypatch.undo()
    old = urlsplit(link_in(mail.outbox[1])).path
    refused = client.get(old, HTTP_HOST=HOST)
    assert refused.status_code == 400 and "expired" in refused.content.decode()
    assert client.get("/", HTTP_HOST=HOST).status_code == 401


def test_sign_in_emails_are_rate_limited_per_address_and_per_ip(client, settings):
    settings.PAGE_ACCESS_LINKS_PER_ADDRESS = (2, 900)
    settings.PAGE_ACCESS_LINKS_PER_IP = (3, 900)
    make_page(PageAccess.EMAIL, allowed_email_domains="example.com")
    address = f"ann-{uuid.uuid4().hex[:8]}@example.com"
    assert [ask_for_link(client, address).status_code for _ in range(3)] == [200, 200, 429]
    ip = fresh_ip()
    answers = [ask_for_link(client, f"x{n}-{uuid.uuid4().hex[:6]}@example.com", ip) for n in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert "Wait 15 minutes" in answers[-1].content.decode()
    assert len(mail.outbox) == 5
