"""Heartbeat pings at /ping/<uuid>[/start|/fail|/<exit status>] and missed-heartbeat detection."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import (
    ComponentStatus,
    Event,
    EventKind,
    Probe,
    ProbeKind,
    ProbeLocationState,
    ProbeResult,
)
from incidents.monitoring.scheduling import record_missed_heartbeats, schedule_new_probes
from tests.conftest import status_changes, status_of

INTERVAL = 3600
GRACE = 600
WINDOW = timedelta(seconds=INTERVAL + GRACE)
METHODS = ["head", "get", "post"]


@pytest.fixture
def heartbeat(component) -> Probe:
    return Probe.objects.create(
        component=component,
        name="nightly backup",
        kind=ProbeKind.HEARTBEAT,
        interval_seconds=INTERVAL,
        grace_seconds=GRACE,
    )


def ping_url(ping_uuid, signal: str = "") -> str:
    if signal:
        return reverse("ping-signal", args=[ping_uuid, signal])
    return reverse("ping", args=[ping_uuid])


def ping(client, probe, signal: str = "", *, method: str = "get", body: str | bytes | None = None):
    url = ping_url(probe.ping_uuid, signal)
    if method == "post" and body is None:
        body = b""  # the test client would send an empty multipart form otherwise
    if body is not None:
        return client.generic(method.upper(), url, data=body, content_type="text/plain")
    return getattr(client, method)(url)


def assert_ok(response, method: str = "get") -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    if method != "head":
        assert response.content == b"OK\n"


def assert_stored_nothing(component, probe=None, next_run_at=None) -> None:
    assert ProbeResult.objects.count() == 0
    assert ProbeLocationState.objects.count() == 0
    assert Event.objects.count() == 0
    assert status_of(component) == ComponentStatus.OPERATIONAL
    if probe is not None:
        probe.refresh_from_db()
        assert probe.next_run_at == next_run_at
        assert probe.last_result_at is None


# --- Pings


@pytest.mark.parametrize("method", METHODS)
def test_a_ping_records_an_ok_result_and_answers_ok(client, heartbeat, component, method):
    before = timezone.now()

    response = ping(client, heartbeat, method=method)

    assert_ok(response, method)
    result = ProbeResult.objects.get()
    assert result.probe == heartbeat
    assert result.ok is True
    assert result.message == ""
    assert result.location == "default"
    assert result.observed_at >= before
    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == []


@pytest.mark.parametrize("method", METHODS)
def test_exit_status_zero_is_a_success(client, heartbeat, component, method):
    response = ping(client, heartbeat, "0", method=method)

    assert_ok(response, method)
    result = ProbeResult.objects.get()
    assert result.ok is True
    assert result.message == "exit status 0"
    assert status_of(component) == ComponentStatus.OPERATIONAL


@pytest.mark.parametrize("method", METHODS)
def test_fail_records_a_failure_and_one_is_enough_for_a_major_outage(client, heartbeat, component, method):
    response = ping(client, heartbeat, "fail", method=method)

    assert_ok(response, method)
    result = ProbeResult.objects.get()
    assert result.ok is False
    assert result.message == "failure signalled"
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE
    event = Event.objects.get(kind=EventKind.COMPONENT_STATUS_CHANGED)
    assert event.component == component
    assert event.data == {"from": "operational", "to": "major_outage", "automatic": True}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("code", ["1", "2", "127", "255", "007"])
def test_a_non_zero_exit_status_records_a_failure(client, heartbeat, component, method, code):
    response = ping(client, heartbeat, code, method=method)

    assert_ok(response, method)
    result = ProbeResult.objects.get()
    assert result.ok is False
    assert result.message == f"exit status {int(code)}"
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE
    assert status_changes(component) == [("operational", "major_outage")]


@pytest.mark.parametrize("method", METHODS)
def test_start_records_nothing_but_answers_ok(client, heartbeat, component, method):
    response = ping(client, heartbeat, "start", method=method)

    assert_ok(response, method)
    assert_stored_nothing(component, heartbeat, next_run_at=None)


def test_start_with_a_body_records_nothing(client, heartbeat, component):
    response = ping(client, heartbeat, "start", method="post", body="starting backup")

    assert_ok(response)
    assert_stored_nothing(component, heartbeat, next_run_at=None)


def test_a_ping_after_a_failure_recovers_the_component(client, heartbeat, component):
    ping(client, heartbeat, "fail")

    response = ping(client, heartbeat)

    assert_ok(response)
    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == [("operational", "major_outage"), ("major_outage", "operational")]
    assert list(ProbeResult.objects.order_by("id").values_list("ok", flat=True)) == [False, True]


def test_repeated_failures_change_the_status_once(client, heartbeat, component):
    for signal in ["fail", "1", "fail"]:
        ping(client, heartbeat, signal)

    assert ProbeResult.objects.count() == 3
    assert status_changes(component) == [("operational", "major_outage")]


# --- POST bodies


def test_a_post_body_becomes_the_result_message(client, heartbeat):
    response = ping(client, heartbeat, method="post", body="backup done: 42 GB in 13 min")

    assert_ok(response)
    assert ProbeResult.objects.get().message == "backup done: 42 GB in 13 min"


@pytest.mark.parametrize(
    "signal, message",
    [("fail", "failure signalled: disk full"), ("3", "exit status 3: disk full")],
)
def test_a_post_body_follows_the_failure_note(client, heartbeat, signal, message):
    ping(client, heartbeat, signal, method="post", body="disk full")

    result = ProbeResult.objects.get()
    assert result.ok is False
    assert result.message == message


def test_the_last_message_is_kept_on_the_location_state(client, heartbeat):
    ping(client, heartbeat, "fail", method="post", body="rsync: connection refused")

    assert ProbeLocationState.objects.get(probe=heartbeat).last_message == (
        "failure signalled: rsync: connection refused"
    )


@pytest.mark.parametrize("signal", ["", "fail", "1"])
def test_a_long_post_body_is_truncated_to_1000_characters(client, heartbeat, signal):
    response = ping(client, heartbeat, signal, method="post", body="x" * 5000)

    assert_ok(response)
    message = ProbeResult.objects.get().message
    assert len(message) == 1000
    assert message.endswith("xxx")


def test_a_multibyte_character_cut_by_the_limit_is_replaced(client, heartbeat):
    # 334 euro signs are 1002 bytes: the limit cuts the last one after its first byte.
    ping(client, heartbeat, method="post", body="€" * 334)

    assert ProbeResult.objects.get().message == "€" * 333 + "\ufffd"


def test_a_body_that_is_not_utf8_is_stored_with_replacement_characters(client, heartbeat):
    response = ping(client, heartbeat, method="post", body=b"ok \xff\xfe done")

    assert_ok(response)
    assert ProbeResult.objects.get().message == "ok \ufffd\ufffd done"


def test_nul_bytes_in_a_body_are_dropped(client, heartbeat):
    ping(client, heartbeat, method="post", body=b"du\x00mp ok\x00")

    assert ProbeResult.objects.get().message == "dump ok"


def test_an_empty_post_body_leaves_the_message_empty(client, heartbeat):
    ping(client, heartbeat, method="post", body=b"")

    assert ProbeResult.objects.get().message == ""


def test_a_form_encoded_post_body_is_stored_as_sent(client, heartbeat):
    client.post(
        ping_url(heartbeat.ping_uuid),
        data="rows=1200&took=13m",
        content_type="application/x-www-form-urlencoded",
    )

    assert ProbeResult.objects.get().message == "rows=1200&took=13m"


# --- Rejected pings store nothing


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("signal", ["", "start", "fail", "0", "1"])
def test_an_unknown_uuid_is_404_and_stores_nothing(client, heartbeat, component, method, signal):
    response = getattr(client, method)(ping_url(uuid.uuid4(), signal))

    assert response.status_code == 404
    assert_stored_nothing(component, heartbeat, next_run_at=None)


@pytest.mark.parametrize("kind", [ProbeKind.PUSH, ProbeKind.HTTP])
@pytest.mark.parametrize("signal", ["", "fail", "1"])
def test_a_probe_that_is_not_a_heartbeat_is_404_and_stores_nothing(client, component, kind, signal):
    other = Probe.objects.create(component=component, name=f"{kind} probe", kind=kind, url="https://x.test")

    response = ping(client, other, signal)

    assert response.status_code == 404
    assert_stored_nothing(component, other, next_run_at=None)


@pytest.mark.parametrize("signal", ["", "fail", "1"])
def test_an_inactive_heartbeat_is_404_and_stores_nothing(client, heartbeat, component, signal):
    Probe.objects.filter(pk=heartbeat.pk).update(is_active=False)

    response = ping(client, heartbeat, signal, method="post", body="done")

    assert response.status_code == 404
    assert_stored_nothing(component, heartbeat, next_run_at=None)


@pytest.mark.parametrize(
    "path",
    ["/ping/not-a-uuid", "/ping/12345", "/ping/", "/ping/{uuid}/", "/ping/{uuid}/fail/extra"],
)
def test_a_malformed_ping_path_is_404(client, heartbeat, component, path):
    response = client.get(path.format(uuid=heartbeat.ping_uuid))

    assert response.status_code == 404
    assert_stored_nothing(component)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "signal", ["abc", "256", "-1", "1000", "0000", "1.5", "+1", " 1", "0x1", "FAIL", "Start", "fail2"]
)
def test_a_bad_signal_is_400_and_stores_nothing(client, heartbeat, component, method, signal):
    response = getattr(client, method)(ping_url(heartbeat.ping_uuid, signal))

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    if method != "head":
        assert b"exit status 0-255" in response.content
    assert_stored_nothing(component, heartbeat, next_run_at=None)


def test_a_bad_signal_is_400_even_for_an_unknown_uuid(client, heartbeat, component):
    response = client.get(ping_url(uuid.uuid4(), "abc"))

    assert response.status_code == 400
    assert_stored_nothing(component)


@pytest.mark.parametrize("signal", ["²", "٣"], ids=["superscript-two", "arabic-indic-three"])
def test_a_non_ascii_digit_is_400_and_stores_nothing(client, heartbeat, component, signal):
    response = client.get(ping_url(heartbeat.ping_uuid, signal))

    assert response.status_code == 400
    assert_stored_nothing(component, heartbeat, next_run_at=None)


@pytest.mark.parametrize("method", ["put", "delete", "patch", "options"])
@pytest.mark.parametrize("signal", ["", "fail", "0"])
def test_other_methods_are_405_and_store_nothing(client, heartbeat, component, method, signal):
    response = getattr(client, method)(ping_url(heartbeat.ping_uuid, signal))

    assert response.status_code == 405
    assert sorted(response["Allow"].split(", ")) == ["GET", "HEAD", "POST"]
    assert_stored_nothing(component, heartbeat, next_run_at=None)


def test_a_ping_costs_a_bounded_number_of_queries(client, heartbeat, django_assert_max_num_queries):
    ping(client, heartbeat)  # the first result also creates the location state and uptime rows

    with django_assert_max_num_queries(15):
        response = ping(client, heartbeat)

    assert response.status_code == 200


# --- Deadlines and missed heartbeats


def test_schedule_new_probes_sets_the_first_deadline_to_interval_plus_grace(heartbeat):
    now = timezone.now()

    schedule_new_probes(now=now)

    heartbeat.refresh_from_db()
    assert heartbeat.next_run_at == now + WINDOW


def test_schedule_new_probes_leaves_scheduled_and_inactive_heartbeats_alone(heartbeat, component):
    now = timezone.now()
    scheduled_at = now + timedelta(minutes=5)
    scheduled = Probe.objects.create(
        component=component, name="scheduled", kind=ProbeKind.HEARTBEAT, next_run_at=scheduled_at
    )
    inactive = Probe.objects.create(
        component=component, name="inactive", kind=ProbeKind.HEARTBEAT, is_active=False
    )

    schedule_new_probes(now=now)

    for probe in (scheduled, inactive, heartbeat):
        probe.refresh_from_db()
    assert scheduled.next_run_at == scheduled_at
    assert inactive.next_run_at is None
    assert heartbeat.next_run_at == now + WINDOW


@pytest.fixture
def scheduled(heartbeat):
    """The heartbeat, scheduled two days ago so that every moment tested is in the past."""
    start = timezone.now() - timedelta(days=2)
    schedule_new_probes(now=start)
    heartbeat.refresh_from_db()
    assert heartbeat.next_run_at == start + WINDOW
    return heartbeat


def test_nothing_is_missed_before_the_deadline(scheduled, component):
    missed = record_missed_heartbeats(now=scheduled.next_run_at - timedelta(seconds=1))

    assert missed == []
    assert_stored_nothing(component)


def test_a_missed_deadline_records_one_failure_and_puts_the_component_down(scheduled, component):
    now = scheduled.next_run_at + timedelta(seconds=1)

    missed = record_missed_heartbeats(now=now)

    assert missed == [scheduled.pk]
    result = ProbeResult.objects.get()
    assert result.probe == scheduled
    assert result.ok is False
    assert result.observed_at == now
    assert result.message == "no ping within period + grace"
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE
    assert status_changes(component) == [("operational", "major_outage")]


def test_checking_twice_at_the_same_time_records_one_failure(scheduled, component):
    now = scheduled.next_run_at + timedelta(seconds=1)

    first = record_missed_heartbeats(now=now)
    second = record_missed_heartbeats(now=now)

    assert first == [scheduled.pk]
    assert second == []
    assert ProbeResult.objects.count() == 1
    assert status_changes(component) == [("operational", "major_outage")]


def test_each_further_missed_period_records_one_more_failure(scheduled, component):
    first_miss = scheduled.next_run_at + timedelta(seconds=1)
    record_missed_heartbeats(now=first_miss)
    period = timedelta(seconds=INTERVAL)

    within_period = record_missed_heartbeats(now=first_miss + period - timedelta(seconds=1))
    next_period = record_missed_heartbeats(now=first_miss + period)

    assert within_period == []
    assert next_period == [scheduled.pk]
    assert list(ProbeResult.objects.order_by("observed_at").values_list("observed_at", flat=True)) == [
        first_miss,
        first_miss + period,
    ]
    assert status_changes(component) == [("operational", "major_outage")]


def test_a_ping_after_a_miss_recovers_and_pushes_the_deadline_on(client, scheduled, component):
    record_missed_heartbeats(now=scheduled.next_run_at + timedelta(seconds=1))
    before = timezone.now()

    response = ping(client, scheduled)

    after = timezone.now()
    assert_ok(response)
    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == [("operational", "major_outage"), ("major_outage", "operational")]
    scheduled.refresh_from_db()
    assert before + WINDOW <= scheduled.next_run_at <= after + WINDOW
    assert record_missed_heartbeats(now=after + WINDOW - timedelta(seconds=1)) == []
    assert ProbeResult.objects.filter(ok=False).count() == 1


@pytest.mark.parametrize("signal", ["", "0", "fail", "1"])
def test_every_ping_that_records_a_result_pushes_the_deadline_on(client, scheduled, signal):
    before = timezone.now()

    ping(client, scheduled, signal)

    scheduled.refresh_from_db()
    assert scheduled.next_run_at >= before + WINDOW


def test_start_does_not_push_the_deadline_on(client, scheduled):
    deadline = scheduled.next_run_at

    ping(client, scheduled, "start")

    scheduled.refresh_from_db()
    assert scheduled.next_run_at == deadline


def test_an_inactive_or_unscheduled_heartbeat_is_never_missed(heartbeat, component):
    Probe.objects.create(
        component=component,
        name="paused",
        kind=ProbeKind.HEARTBEAT,
        is_active=False,
        next_run_at=timezone.now() - timedelta(days=1),
    )
    assert heartbeat.next_run_at is None

    assert record_missed_heartbeats(now=timezone.now()) == []
    assert_stored_nothing(component)


def test_only_heartbeats_are_checked_for_missed_pings(component):
    Probe.objects.create(
        component=component,
        name="homepage",
        kind=ProbeKind.HTTP,
        url="https://example.test/",
        next_run_at=timezone.now() - timedelta(days=1),
    )

    assert record_missed_heartbeats(now=timezone.now()) == []
    assert_stored_nothing(component)


# --- Property: no path suffix or body gives a 5xx


# Lone surrogates (Cs) cannot travel in a URL path at all.
suffix_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
suffixes = st.one_of(
    st.sampled_from(["", "start", "fail", "0", "1", "255", "256", "-1"]),
    st.integers(-10, 1100).map(str),
    suffix_text,
)
bodies = st.none() | st.binary(max_size=1200) | st.text(max_size=1200)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(suffix=suffixes, method=st.sampled_from(["GET", "HEAD", "POST"]), body=bodies)
def test_no_path_suffix_or_body_gives_a_5xx(client, heartbeat, component, suffix, method, body):
    results_before = ProbeResult.objects.count()
    path = f"/ping/{heartbeat.ping_uuid}"
    if suffix:
        path += "/" + quote(suffix, safe="")

    if body is None:
        response = client.generic(method, path)
    else:
        response = client.generic(method, path, data=body, content_type="application/octet-stream")

    assert response.status_code < 500
    if response.status_code != 200 or suffix == "start":
        assert ProbeResult.objects.count() == results_before
    else:
        assert ProbeResult.objects.count() == results_before + 1
        assert len(ProbeResult.objects.latest("id").message) <= 1000
