"""Active probes: HTTP, TCP and DNS checks, validation, the run task, and claiming each run once."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import count
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from incidents import tasks
from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Probe,
    ProbeKind,
    ProbeLocationState,
    ProbeResult,
    parse_statuses,
)
from incidents.monitoring.checks import check_dns, check_http, check_tcp
from incidents.monitoring.scheduling import claim_due_probes, schedule_new_probes
from tests.conftest import status_of

KEYWORD = "all-systems-go"
SLOW_SECONDS = 0.5
_names = count(1)


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        if self.path == "/ok":
            self._reply(200, f"<p>{KEYWORD}</p>")
        elif self.path == "/unavailable":
            self._reply(503, "down for maintenance")
        elif self.path == "/moved":
            self._reply(301, "", location="/ok")
        elif self.path == "/slow":
            time.sleep(SLOW_SECONDS)
            self._reply(200, f"<p>{KEYWORD}, eventually</p>")
        else:
            self._reply(404, "not found")

    def _reply(self, status: int, body: str, location: str | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args) -> None:  # noqa: A002 (the base class's signature)
        pass


class _Server:
    def __init__(self, httpd: ThreadingHTTPServer) -> None:
        self.port = httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="module")
def http_server():
    """A loopback HTTP server with /ok, /unavailable, /moved (to /ok) and /slow."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield _Server(httpd)
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def closed_port() -> int:
    """A loopback port that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_probe(component: Component, **fields) -> Probe:
    fields.setdefault("name", f"probe {next(_names)}")
    fields.setdefault("kind", ProbeKind.HTTP)
    return Probe.objects.create(component=component, **fields)


# --- check_http


def test_a_200_within_the_expected_range_is_ok_with_a_latency(http_server):
    outcome = check_http(http_server.url("/ok"), "GET", "200-299", "", 5)

    assert outcome.ok
    assert outcome.latency_ms is not None and outcome.latency_ms >= 0
    assert "200" in outcome.message


def test_a_503_is_a_failure_that_names_the_status(http_server):
    outcome = check_http(http_server.url("/unavailable"), "GET", "200-299", "", 5)

    assert not outcome.ok
    assert "503" in outcome.message


def test_a_503_is_ok_when_listed_among_the_expected_statuses(http_server):
    outcome = check_http(http_server.url("/unavailable"), "GET", "200-299,503", "", 5)

    assert outcome.ok


def test_a_keyword_in_the_body_is_ok(http_server):
    outcome = check_http(http_server.url("/ok"), "GET", "200-299", KEYWORD, 5)

    assert outcome.ok


def test_a_keyword_missing_from_the_body_is_a_failure_that_names_it(http_server):
    outcome = check_http(http_server.url("/ok"), "GET", "200-299", "out-of-order", 5)

    assert not outcome.ok
    assert "out-of-order" in outcome.message


def test_a_response_slower_than_the_timeout_is_a_failure(http_server):
    started = time.perf_counter()
    outcome = check_http(http_server.url("/slow"), "GET", "200-299", "", 0.1)

    assert not outcome.ok
    assert outcome.latency_ms is None
    assert "Timeout" in outcome.message
    assert time.perf_counter() - started < SLOW_SECONDS


def test_a_refused_connection_is_a_failure(closed_port):
    outcome = check_http(f"http://127.0.0.1:{closed_port}/", "GET", "200-299", "", 2)

    assert not outcome.ok
    assert outcome.latency_ms is None
    assert outcome.message


def test_redirects_are_followed_to_the_final_page(http_server):
    outcome = check_http(http_server.url("/moved"), "GET", "200-299", KEYWORD, 5)

    assert outcome.ok
    assert "200" in outcome.message


# --- parse_statuses


@pytest.mark.parametrize(
    ("spec", "ranges"),
    [
        ("200", [(200, 200)]),
        ("200-299", [(200, 299)]),
        ("200-299,301", [(200, 299), (301, 301)]),
        (" 200 - 299 , 503 ", [(200, 299), (503, 503)]),
        ("100-599", [(100, 599)]),
        ("200,", [(200, 200)]),
    ],
)
def test_good_status_specs_parse_to_ranges(spec, ranges):
    assert parse_statuses(spec) == ranges


@pytest.mark.parametrize("spec", ["abc", "600", "300-200", "", "99", "200-abc", ",", "-200"])
def test_bad_status_specs_raise_value_error(spec):
    with pytest.raises(ValueError):
        parse_statuses(spec)


# --- check_tcp and check_dns


def test_tcp_connect_to_a_listening_port_is_ok(http_server):
    outcome = check_tcp("127.0.0.1", http_server.port, 2)

    assert outcome.ok
    assert outcome.latency_ms is not None
    assert str(http_server.port) in outcome.message


def test_tcp_connect_to_a_closed_port_is_a_failure(closed_port):
    outcome = check_tcp("127.0.0.1", closed_port, 2)

    assert not outcome.ok
    assert outcome.latency_ms is None
    assert str(closed_port) in outcome.message


def test_dns_resolves_localhost_to_a_loopback_address():
    outcome = check_dns("localhost", 2)

    assert outcome.ok
    assert outcome.latency_ms is not None
    assert "127.0.0.1" in outcome.message or "::1" in outcome.message


def test_dns_for_a_name_that_cannot_exist_is_a_failure():
    outcome = check_dns("no-such-host.invalid", 2)

    assert not outcome.ok
    assert outcome.latency_ms is None
    assert "no-such-host.invalid" in outcome.message


# --- Probe.clean


def fields_rejected(probe: Probe) -> set[str]:
    with pytest.raises(ValidationError) as excinfo:
        probe.clean()
    return set(excinfo.value.message_dict)


def test_an_http_probe_without_a_url_is_rejected_on_url(component):
    probe = Probe(component=component, name="web", kind=ProbeKind.HTTP, url="")

    assert fields_rejected(probe) == {"url"}


def test_an_http_probe_with_nonsense_statuses_is_rejected_on_expected_statuses(component):
    probe = Probe(
        component=component,
        name="web",
        kind=ProbeKind.HTTP,
        url="https://example.test/",
        expected_statuses="abc",
    )

    assert fields_rejected(probe) == {"expected_statuses"}


def test_a_tcp_probe_without_host_or_port_is_rejected_on_both(component):
    probe = Probe(component=component, name="db", kind=ProbeKind.TCP)

    assert fields_rejected(probe) == {"host", "port"}


def test_a_dns_probe_without_a_host_is_rejected_on_host(component):
    probe = Probe(component=component, name="dns", kind=ProbeKind.DNS)

    assert fields_rejected(probe) == {"host"}


def test_complete_active_probes_are_valid(component):
    Probe(component=component, name="web", kind=ProbeKind.HTTP, url="https://example.test/").clean()
    Probe(component=component, name="db", kind=ProbeKind.TCP, host="db.example.test", port=5432).clean()
    Probe(component=component, name="dns", kind=ProbeKind.DNS, host="example.test").clean()


# --- run_probe task (called directly, not through a worker)


def test_run_probe_stores_one_result_from_this_location_with_its_latency(component, http_server, settings):
    settings.PROBE_LOCATION = "eu-west"
    probe = make_probe(component, url=http_server.url("/ok"), keyword=KEYWORD)

    tasks.run_probe(probe.pk)

    result = ProbeResult.objects.get(probe=probe)
    assert result.ok
    assert result.location == "eu-west"
    assert result.latency_ms is not None and result.latency_ms > 0
    state = ProbeLocationState.objects.get(probe=probe)
    assert state.location == "eu-west"
    assert state.last_latency_ms == result.latency_ms
    assert status_of(component) == ComponentStatus.OPERATIONAL


def test_a_response_slower_than_the_degraded_latency_marks_the_component_degraded(component, http_server):
    probe = make_probe(component, url=http_server.url("/slow"), degraded_latency_ms=100, success_threshold=1)

    tasks.run_probe(probe.pk)

    result = ProbeResult.objects.get(probe=probe)
    assert result.ok
    assert result.latency_ms >= SLOW_SECONDS * 1000 * 0.9
    assert status_of(component) == ComponentStatus.DEGRADED


def test_two_failing_runs_confirm_a_major_outage(component, http_server):
    probe = make_probe(component, url=http_server.url("/unavailable"), failure_threshold=2)

    tasks.run_probe(probe.pk)
    assert status_of(component) == ComponentStatus.OPERATIONAL

    tasks.run_probe(probe.pk)
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE
    assert ProbeResult.objects.filter(probe=probe, ok=False).count() == 2


def test_run_probe_for_an_inactive_probe_stores_nothing(component, http_server):
    probe = make_probe(component, url=http_server.url("/ok"), is_active=False)

    tasks.run_probe(probe.pk)

    assert not ProbeResult.objects.filter(probe=probe).exists()


# --- Scheduling and claiming


def test_schedule_new_probes_makes_active_probes_due_now(component):
    now = timezone.now()
    http = make_probe(component, kind=ProbeKind.HTTP, url="https://example.test/")
    tcp = make_probe(component, kind=ProbeKind.TCP, host="db.example.test", port=5432)
    dns = make_probe(component, kind=ProbeKind.DNS, host="example.test")
    push = make_probe(component, kind=ProbeKind.PUSH)
    inactive = make_probe(component, kind=ProbeKind.HTTP, url="https://example.test/", is_active=False)

    schedule_new_probes(now)

    for probe in (http, tcp, dns):
        probe.refresh_from_db()
        assert probe.next_run_at == now
    for probe in (push, inactive):
        probe.refresh_from_db()
        assert probe.next_run_at is None


def test_schedule_new_probes_keeps_an_existing_schedule(component):
    now = timezone.now()
    later = now + timedelta(minutes=5)
    probe = make_probe(component, url="https://example.test/")
    Probe.objects.filter(pk=probe.pk).update(next_run_at=later)

    schedule_new_probes(now)

    probe.refresh_from_db()
    assert probe.next_run_at == later


def test_claiming_returns_due_probes_and_moves_them_one_interval_on(component):
    now = timezone.now()
    first = make_probe(component, url="https://example.test/a", interval_seconds=60)
    second = make_probe(component, url="https://example.test/b", interval_seconds=30)
    schedule_new_probes(now)

    claimed = claim_due_probes(now)

    assert sorted(claimed) == sorted([first.pk, second.pk])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.next_run_at == now + timedelta(seconds=60)
    assert second.next_run_at == now + timedelta(seconds=30)
    assert claim_due_probes(now) == []


def test_a_claimed_probe_is_due_again_after_its_interval(component):
    now = timezone.now()
    probe = make_probe(component, url="https://example.test/", interval_seconds=60)
    schedule_new_probes(now)
    claim_due_probes(now)

    assert claim_due_probes(now + timedelta(seconds=59)) == []
    assert claim_due_probes(now + timedelta(seconds=60)) == [probe.pk]


def test_probes_not_yet_due_inactive_or_passive_are_never_claimed(component):
    now = timezone.now()
    past = now - timedelta(minutes=1)
    not_due = make_probe(component, url="https://example.test/")
    inactive = make_probe(component, url="https://example.test/", is_active=False)
    push = make_probe(component, kind=ProbeKind.PUSH)
    heartbeat = make_probe(component, kind=ProbeKind.HEARTBEAT)
    Probe.objects.filter(pk=not_due.pk).update(next_run_at=now + timedelta(seconds=1))
    Probe.objects.filter(pk__in=[inactive.pk, push.pk, heartbeat.pk]).update(next_run_at=past)

    assert claim_due_probes(now) == []

    for probe in (inactive, push, heartbeat):
        probe.refresh_from_db()
        assert probe.next_run_at == past


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs SKIP LOCKED row locks (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_claims_never_take_the_same_probe():
    group = ComponentGroup.objects.create(name="Fleet", position=1)
    component = Component.objects.create(name="Web fleet", group=group, position=1)
    now = timezone.now()
    Probe.objects.bulk_create(
        Probe(
            component=component,
            name=f"web {i}",
            kind=ProbeKind.HTTP,
            url=f"https://example.test/{i}",
            next_run_at=now - timedelta(seconds=1),
        )
        for i in range(100)
    )
    all_ids = set(Probe.objects.values_list("pk", flat=True))
    barrier = threading.Barrier(2)
    claims: list[list[int]] = [[], []]
    errors: list[BaseException] = []

    def claim(slot: int) -> None:
        try:
            barrier.wait(timeout=10)
            claims[slot] = claim_due_probes(now)
        except BaseException as exc:  # noqa: BLE001 (re-raised in the main thread)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(slot,)) for slot in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not errors
    first, second = set(claims[0]), set(claims[1])
    assert len(claims[0]) == len(first) and len(claims[1]) == len(second)
    assert not first & second
    assert first | second == all_ids
    assert claim_due_probes(now) == []


# --- dispatch_due_probes


def test_dispatch_sends_each_due_probe_once_to_every_location(component, settings):
    settings.PROBE_LOCATIONS = ["us-east", "eu-west"]
    web = make_probe(component, url="https://example.test/")
    db = make_probe(component, kind=ProbeKind.TCP, host="db.example.test", port=5432)
    make_probe(component, kind=ProbeKind.PUSH)
    later = make_probe(component, url="https://example.test/later")
    Probe.objects.filter(pk=later.pk).update(next_run_at=timezone.now() + timedelta(minutes=5))

    with mock.patch.object(tasks.run_probe, "apply_async") as apply_async:
        assert tasks.dispatch_due_probes() == 2
        sent = sorted((c.args[0], c.kwargs["queue"]) for c in apply_async.call_args_list)
        assert sent == sorted(
            [
                ((web.pk,), "probes.us-east"),
                ((web.pk,), "probes.eu-west"),
                ((db.pk,), "probes.us-east"),
                ((db.pk,), "probes.eu-west"),
            ]
        )

        apply_async.reset_mock()
        assert tasks.dispatch_due_probes() == 0
        apply_async.assert_not_called()
