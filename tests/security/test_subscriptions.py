"""Issue 12, replayed against the app: each attack on subscriptions, shown to fail, with its figures printed.

Every request goes through the real views, middleware and PostgreSQL (transactional tests: each
request commits, and the queued confirmation tasks run as the worker would, after commit). The
parallel bursts are real threads, each with its own database connection.
"""

from __future__ import annotations

import base64
import json
import random
import re
import statistics
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from unittest import mock
from urllib.parse import urlsplit

import phonenumbers
import pytest
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents.models import Component, Event, Incident
from incidents.timeline.incident_lifecycle import open_incident
from notifications import tasks
from notifications.delivery import subscriber_links
from notifications.delivery.sending import send_delivery
from notifications.models import Channel, Delivery, Subscriber
from notifications.signup import registration

pytestmark = pytest.mark.django_db(transaction=True)

NOT_RIGHT = "That code is not right."


@pytest.fixture(autouse=True)
def production_limits(settings):
    """The shipped limits on codes; sign-ups themselves are left generous (they have their own tests)."""
    settings.SMS_CODE_MAX_TRIES = 5
    settings.SMS_CODE_MAX_AGE_SECONDS = 15 * 60
    settings.SMS_CODE_TRIES_PER_NUMBER = (15, 86_400)
    settings.SMS_CODE_TRIES_PER_IP = (20, 3600)
    settings.CONFIRMATIONS_PER_DESTINATION = (3, 3600)
    settings.SIGNUP_LIMIT_PER_IP = (10_000, 3600)
    settings.SMS_SIGNUP_LIMIT_PER_IP = (10_000, 3600)


@pytest.fixture
def worker(monkeypatch):
    """Run each queued confirmation task as the worker would, once the sign-up has committed."""
    ran: list[tuple] = []

    def run(name, *args):
        ran.append((name, *args))
        getattr(tasks, name)(*args)

    monkeypatch.setattr(registration, "enqueue_safely", run)
    return ran


def fresh_phone() -> str:
    """A valid US mobile-or-landline number few runs share (per-number counters live in Redis)."""
    while True:
        phone = f"+1415{random.randrange(200, 1000):03d}{random.randrange(10_000):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(phone)):
            return phone


def fresh_ip() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def browser() -> Client:
    """A visitor on an address of their own (the per-IP counters live in Redis, across runs)."""
    return Client(REMOTE_ADDR=fresh_ip())


def sign_up(client: Client, ip: str, phone: str = "", email: str = "") -> str:
    response = client.post("/subscribe/", {"email": email, "phone": phone}, REMOTE_ADDR=ip)
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"]


def last_code(sms_outbox, phone: str) -> str:
    texts = [m for m in sms_outbox if m.to == phone]
    assert texts, f"no code was texted to {phone}"
    return re.search(r"\b\d{6}\b", texts[-1].body).group(0)


def other_codes(*right: str) -> list[str]:
    """Every wrong code an attacker might type, in a shuffled order, none of them a right one."""
    codes = [f"{n:06d}" for n in random.sample(range(1_000_000), 400)]
    return [c for c in codes if c not in right]


def answer_of(response) -> str:
    """What a code check answered, in a word."""
    body = response.content.decode()
    if response.status_code == 200 and "/subscribe/manage/" in body:
        return "opened the subscription"
    if NOT_RIGHT in body:
        return "checked: not right"
    if response.status_code == 429:
        return "refused: too many (429)"
    if "has been used" in body or "invalid or has expired" in body:
        return "refused: page no longer valid"
    if "has expired" in body or "Too many wrong tries" in body:
        return "refused: code spent or expired"
    return f"other ({response.status_code})"


def confirmed_victim(sms_outbox, phone: str) -> tuple[Client, str, str, str]:
    """A person who subscribed by SMS: their browser, verify page, code and manage link."""
    victim = browser()
    page = sign_up(victim, fresh_ip(), phone=phone)
    code = last_code(sms_outbox, phone)
    response = victim.post(page, {"code": code})
    assert response.status_code == 200
    manage = re.search(r'href="([^"]*/subscribe/manage/[^"]+/)"', response.content.decode()).group(1)
    return victim, page, code, urlsplit(manage).path


def decoded(token: str) -> list[str]:
    """Every segment of a token read as URL-safe base64, where it decodes to text."""
    texts = []
    for segment in re.split(r"[:./]", token):
        try:
            raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
            texts.append(raw.decode())
        except (ValueError, UnicodeDecodeError):
            continue
    return texts


def names(token: str, subscriber: Subscriber) -> list[str]:
    """What in the token gives the subscriber away: their id or an address."""
    found = []
    for text in decoded(token):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        ids = value if isinstance(value, list) else [value]
        if subscriber.pk in ids:
            found.append(f"id {subscriber.pk} in {text!r}")
        for address in filter(None, (subscriber.email, subscriber.phone)):
            if address in text:
                found.append(f"{address} in {text!r}")
    return found


def token_of(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[1]


# --- taking over an SMS subscription


def test_re_signing_up_a_subscribed_number_hands_out_nothing_of_the_existing_subscription(worker, sms_outbox):
    phone = fresh_phone()
    _, victim_page, victim_code, victim_manage = confirmed_victim(sms_outbox, phone)
    texts_before = len(sms_outbox)
    attacker = browser()

    attacker_page = sign_up(attacker, fresh_ip(), phone=phone)

    # A fresh proof: a new page, and a new code texted to the number (to the victim, not the attacker).
    assert attacker_page != victim_page
    assert len(sms_outbox) == texts_before + 1
    page = attacker.get(attacker_page).content.decode()
    answers = {
        "victim's code on the attacker's page": answer_of(
            attacker.post(attacker_page, {"code": victim_code})
        ),
        "victim's code on the victim's page": answer_of(attacker.post(victim_page, {"code": victim_code})),
    }
    print(f"\nre-sign-up of a subscribed number: new page {attacker_page != victim_page}; {answers}")
    assert victim_manage not in page
    assert "opened the subscription" not in answers.values()
    assert answers["victim's code on the attacker's page"] == "checked: not right"
    assert answers["victim's code on the victim's page"] == "refused: page no longer valid"


def test_300_wrong_codes_from_one_client_are_not_300_guesses(worker, sms_outbox):
    phone = fresh_phone()
    _, _, victim_code, _ = confirmed_victim(sms_outbox, phone)
    attacker, ip = browser(), fresh_ip()
    page = sign_up(attacker, ip, phone=phone)
    right = last_code(sms_outbox, phone)

    answers = Counter(
        answer_of(attacker.post(page, {"code": code}, REMOTE_ADDR=ip))
        for code in other_codes(right, victim_code)[:300]
    )

    print(f"\n300 wrong codes from one client: {dict(answers)}")
    assert answers["checked: not right"] == 5  # SMS_CODE_MAX_TRIES, then the code is spent
    assert answers["opened the subscription"] == 0
    assert sum(answers.values()) == 300


def test_300_wrong_codes_from_300_addresses_with_new_codes_asked_for_stop_at_the_number_limit(
    worker, sms_outbox
):
    phone = fresh_phone()
    _, _, victim_code, _ = confirmed_victim(sms_outbox, phone)
    attacker = browser()
    page = sign_up(attacker, fresh_ip(), phone=phone)
    answers: Counter[str] = Counter()
    codes = other_codes(victim_code)
    resends = 0
    for code in codes[:300]:
        if code == last_code(sms_outbox, phone):
            continue
        answer = answer_of(attacker.post(page, {"code": code}, REMOTE_ADDR=fresh_ip()))
        answers[answer] += 1
        if answer == "refused: code spent or expired":  # ask for a new code, as a bot would
            resends += attacker.post(page, {"resend": "1"}, REMOTE_ADDR=fresh_ip()).status_code == 302

    checked = answers["checked: not right"]
    print(f"\n300 wrong codes from 300 addresses, {resends} new codes asked for: {dict(answers)}")
    assert checked <= 15  # SMS_CODE_TRIES_PER_NUMBER in a day, whatever the codes and addresses
    assert answers["opened the subscription"] == 0


def test_the_old_code_30_days_later_opens_nothing(worker, sms_outbox):
    phone = fresh_phone()
    _, victim_page, victim_code, _ = confirmed_victim(sms_outbox, phone)
    later = timezone.now() + timedelta(days=30)

    with mock.patch("django.utils.timezone.now", return_value=later):
        attacker = browser()
        attacker_page = sign_up(attacker, fresh_ip(), phone=phone)
        on_new_page = answer_of(attacker.post(attacker_page, {"code": victim_code}))
        on_old_page = answer_of(attacker.post(victim_page, {"code": victim_code}))

    print(
        f"\nthe victim's code 30 days later: on a new page {on_new_page!r}, on their old page {on_old_page!r}"
    )
    assert on_new_page != "opened the subscription" and on_old_page != "opened the subscription"


def test_a_code_expires(worker, sms_outbox, settings):
    phone = fresh_phone()
    client = browser()
    page = sign_up(client, fresh_ip(), phone=phone)
    code = last_code(sms_outbox, phone)
    later = timezone.now() + timedelta(seconds=settings.SMS_CODE_MAX_AGE_SECONDS + 1)

    with mock.patch("django.utils.timezone.now", return_value=later):
        answer = answer_of(client.post(page, {"code": code}))

    print(f"\nthe right code {settings.SMS_CODE_MAX_AGE_SECONDS + 1} s after it was sent: {answer!r}")
    assert answer == "refused: code spent or expired"


# --- the race


def burst(page: str, codes: list[str], ips: list[str]) -> Counter[str]:
    """Post every code at once, one thread and database connection each, released together."""
    start = threading.Barrier(len(codes))

    def attempt(i: int) -> str:
        client = browser()
        try:
            start.wait()
            return answer_of(client.post(page, {"code": codes[i]}, REMOTE_ADDR=ips[i]))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        return Counter(pool.map(attempt, range(len(codes))))


def test_40_parallel_wrong_codes_are_checked_at_most_5_times(worker, sms_outbox, settings):
    settings.SMS_CODE_TRIES_PER_IP = (10_000, 3600)  # the per-code limit alone
    phone = fresh_phone()
    page = sign_up(browser(), fresh_ip(), phone=phone)
    right = last_code(sms_outbox, phone)

    answers = burst(page, other_codes(right)[:40], [fresh_ip() for _ in range(40)])
    afterwards = answer_of(browser().post(page, {"code": right}))

    print(
        f"\n40 parallel wrong codes, one code: {answers['checked: not right']} checked "
        f"against a limit of {settings.SMS_CODE_MAX_TRIES}; {dict(answers)}; the right code afterwards: "
        f"{afterwards!r}"
    )
    assert answers["checked: not right"] <= settings.SMS_CODE_MAX_TRIES
    assert answers["opened the subscription"] == 0
    assert afterwards != "opened the subscription"


def test_60_parallel_wrong_codes_on_4_pages_for_one_number_stop_at_the_number_limit(
    worker, sms_outbox, settings
):
    settings.SMS_CODE_TRIES_PER_IP = (10_000, 3600)
    settings.CONFIRMATIONS_PER_DESTINATION = (10, 3600)
    settings.SMS_CODE_TRIES_PER_NUMBER = (8, 86_400)
    phone = fresh_phone()
    pages = [sign_up(browser(), fresh_ip(), phone=phone) for _ in range(4)]
    right = {m.body for m in sms_outbox}
    codes = [c for c in other_codes() if not any(c in body for body in right)][:60]

    start = threading.Barrier(60)

    def attempt(i: int) -> str:
        client = browser()
        try:
            start.wait()
            return answer_of(client.post(pages[i % 4], {"code": codes[i]}, REMOTE_ADDR=fresh_ip()))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=60) as pool:
        answers = Counter(pool.map(attempt, range(60)))

    print(
        f"\n60 parallel wrong codes over 4 pages of one number: {answers['checked: not right']} checked "
        f"against a per-number limit of 8; {dict(answers)}"
    )
    assert answers["checked: not right"] <= 8


def test_40_parallel_codes_from_one_address_stop_at_the_per_ip_limit(worker, sms_outbox, settings):
    settings.SMS_CODE_TRIES_PER_IP = (12, 3600)
    pages = []
    for _ in range(8):
        phone = fresh_phone()
        pages.append((sign_up(browser(), fresh_ip(), phone=phone), last_code(sms_outbox, phone)))
    ip = fresh_ip()
    codes = [c for c in other_codes(*(code for _, code in pages))][:40]

    start = threading.Barrier(40)

    def attempt(i: int) -> str:
        client = browser()
        try:
            start.wait()
            return answer_of(client.post(pages[i % 8][0], {"code": codes[i]}, REMOTE_ADDR=ip))
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=40) as pool:
        answers = Counter(pool.map(attempt, range(40)))

    print(
        f"\n40 parallel wrong codes from one address over 8 pages: {answers['checked: not right']} checked "
        f"against a per-IP limit of 12; {dict(answers)}"
    )
    assert answers["checked: not right"] <= 12
    assert answers["refused: too many (429)"] >= 28


# --- enumeration


def test_tokens_in_links_name_no_subscriber_id_and_no_address(worker, sms_outbox):
    phone = fresh_phone()
    known, _, _, manage = confirmed_victim(sms_outbox, phone)
    subscriber = Subscriber.objects.get(phone=phone)
    Subscriber.objects.filter(pk=subscriber.pk).update(email=f"{uuid.uuid4().hex[:8]}@example.com")
    subscriber.refresh_from_db()
    again = [token_of(sign_up(browser(), fresh_ip(), phone=phone)) for _ in range(2)]
    new_number = fresh_phone()
    new = token_of(sign_up(browser(), fresh_ip(), phone=new_number))
    newcomer = Subscriber.objects.get(phone=new_number)
    links = {
        "manage (confirmed page)": token_of(manage),
        "manage (email)": token_of(subscriber_links.manage_url(subscriber)),
        "unsubscribe email": token_of(subscriber_links.unsubscribe_url(subscriber, Channel.EMAIL)),
        "unsubscribe SMS": token_of(subscriber_links.unsubscribe_url(subscriber, Channel.SMS)),
        "verify, known number": again[0],
        "verify, known number again": again[1],
    }

    found = {name: names(token, subscriber) for name, token in links.items()}
    found["verify, new number"] = names(new, newcomer)
    print(f"\nwhat tokens give away: {found}")
    assert all(not leaks for leaks in found.values()), found
    # Two sign-ups of one number share nothing a prober could compare.
    assert not set(re.split(r"[:.]", again[0])) & set(re.split(r"[:.]", again[1]))


def test_unsubscribe_links_in_a_sent_email_carry_no_address(worker, settings):
    settings.SITE_URL = "https://status.example.com"
    address = f"{uuid.uuid4().hex[:8]}@example.com"
    subscriber = Subscriber.objects.create(email=address, email_confirmed_at=timezone.now())
    incident = open_incident(
        Incident(name="Queue backlog", impact="minor"),
        "Investigating.",
        components=[Component.objects.create(name="Queue")],
    )
    event = Event.objects.filter(incident=incident).first()
    delivery = Delivery.objects.create(event=event, subscriber=subscriber, channel=Channel.EMAIL)

    send_delivery(delivery.pk)

    message = mail.outbox[-1]
    header = message.message()["List-Unsubscribe"].strip("<>")
    links = re.findall(r"https?://\S+", message.body)
    leaks = {
        url: names(token_of(url), subscriber)
        for url in [header, *links]
        if "/subscribe/manage/" in url or "/unsubscribe/" in url
    }
    print(f"\nlinks in an incident email and what they give away: {leaks}")
    assert leaks and all(not found for found in leaks.values()), leaks
    assert browser().get(urlsplit(header).path).status_code == 200


def _timed_sign_ups(client: Client, data: dict, n: int) -> tuple[list[float], list[list[str]]]:
    took, statements = [], []
    for _ in range(n):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.post("/subscribe/", data, REMOTE_ADDR=fresh_ip())
            took.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302
        statements.append([_shape(q["sql"]) for q in queries.captured_queries])
    return took, statements


def _shape(sql: str) -> str:
    """The statement without its values."""
    return re.sub(r"'(?:[^']|'')*'|\b\d+\b", "?", sql)


@pytest.mark.parametrize("channel", ["email", "phone"])
def test_known_and_unknown_addresses_get_the_same_answer_by_the_same_code_path(
    channel, monkeypatch, settings
):
    settings.CONFIRMATIONS_PER_DESTINATION = (10_000, 3600)  # the known address is signed up 30 times
    queued: list[str] = []
    monkeypatch.setattr(registration, "enqueue_safely", lambda name, *args: queued.append(name))
    if channel == "email":
        known = f"{uuid.uuid4().hex[:8]}@example.com"
        Subscriber.objects.create(email=known, email_confirmed_at=timezone.now())
        addresses = {"known": {"email": known, "phone": ""}}
    else:
        known = fresh_phone()
        Subscriber.objects.create(phone=known, phone_confirmed_at=timezone.now())
        addresses = {"known": {"email": "", "phone": known}}
    client = browser()
    client.get("/subscribe/")  # the process reads its pages once, before anything is compared
    timings, shapes, tasks_queued, answers = {}, {}, {}, {}
    for kind in ["known", "unknown"] * 3:  # interleaved, so drift hits both alike
        if kind == "unknown":
            fresh = f"{uuid.uuid4().hex[:8]}@example.com" if channel == "email" else fresh_phone()
            data = {"email": fresh, "phone": ""} if channel == "email" else {"email": "", "phone": fresh}
        else:
            data = addresses["known"]
        queued.clear()
        took, statements = _timed_sign_ups(client, data, 10)
        timings.setdefault(kind, []).extend(took)
        shapes.setdefault(kind, set()).update(tuple(s) for s in statements)
        tasks_queued.setdefault(kind, set()).add(tuple(queued))
        answers.setdefault(kind, set()).add(
            re.sub(
                r"/verify/[^/]+/", "/verify/<token>/", client.post("/subscribe/", data).get("Location", "")
            )
        )

    medians = {kind: statistics.median(took) for kind, took in timings.items()}
    print(
        f"\n{channel} sign-up, median of {len(timings['known'])} each: known {medians['known']:.1f} ms, "
        f"unknown {medians['unknown']:.1f} ms; SQL statements: known {sorted(map(len, shapes['known']))}, "
        f"unknown {sorted(map(len, shapes['unknown']))}; tasks per 10 sign-ups: "
        f"known {sorted(Counter(t).most_common() for t in tasks_queued['known'])}, "
        f"unknown {sorted(Counter(t).most_common() for t in tasks_queued['unknown'])}"
    )
    assert answers["known"] == answers["unknown"]
    assert shapes["known"] == shapes["unknown"], "a known address takes another code path"
    assert tasks_queued["known"] == tasks_queued["unknown"]


# --- SMS pumping


PUMPING_NUMBERS = {
    "+449098790000": "premium-rate (issue)",
    "+19002000000": "premium-rate (issue)",
    "+449012345678": "premium-rate",
    "+34901123456": "shared-cost",
    "+447012345678": "personal",
    "+445512345678": "UAN",
    "+18002345678": "toll-free",
    "+448001234567": "toll-free",
    "+49177991234567": "voicemail",
}


def test_premium_rate_and_other_costly_numbers_are_refused_and_nothing_is_texted(worker, sms_outbox):
    results = {}
    for number, kind in PUMPING_NUMBERS.items():
        response = browser().post("/subscribe/", {"email": "", "phone": number}, REMOTE_ADDR=fresh_ip())
        error = response.context["form"].errors.get("phone", [""])[0] if response.status_code == 400 else ""
        results[number] = (kind, response.status_code, error)

    for number, (kind, status, error) in results.items():
        print(f"\n  {number:17} {kind:22} -> {status} {error}", end="")
    print(f"\ntexts sent: {len(sms_outbox)}")
    assert {status for _, status, _ in results.values()} == {400}
    assert all("can't receive our text messages" in error for _, _, error in results.values())
    assert sms_outbox == []
    assert not Subscriber.objects.exists()


# --- caching


def test_manage_verify_and_confirmation_pages_are_never_stored(worker, sms_outbox):
    phone = fresh_phone()
    client = browser()
    page = sign_up(client, fresh_ip(), phone=phone)
    verify_get = client.get(page)
    confirmed = client.post(page, {"code": last_code(sms_outbox, phone)})
    subscriber = Subscriber.objects.get(phone=phone)
    email = f"{uuid.uuid4().hex[:8]}@example.com"
    sign_up(client, fresh_ip(), email=email)
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    pages = {
        "verify page": verify_get,
        "confirmed (SMS code)": confirmed,
        "confirmed (email link)": client.get(urlsplit(link).path),
        "manage page": client.get(urlsplit(subscriber_links.manage_url(subscriber)).path),
        "unsubscribe page": client.get(urlsplit(subscriber_links.unsubscribe_url(subscriber, "sms")).path),
    }

    headers = {name: r.get("Cache-Control", "") for name, r in pages.items()}
    print(f"\nCache-Control: {headers}")
    assert all(r.status_code == 200 for r in pages.values())
    assert all("no-store" in value and "private" in value for value in headers.values()), headers
