"""POST /api/v1/probes/<id>/results: authenticated push results, confirmation, strict input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.models import ComponentStatus, Event, EventKind, ProbeLocationState, ProbeResult
from tests.conftest import status_changes, status_of


def url_for(probe_id: int) -> str:
    return reverse("probe-results", args=[probe_id])


def iso(minutes_ago: float) -> str:
    return (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()


def push(
    client, probe, payload=None, *, body: str | bytes | None = None, secret: str | None = None, auth=None
):
    """POST a payload (JSON-encoded) or a raw body, with the probe's secret unless told otherwise."""
    if body is None:
        body = json.dumps(payload)
    if auth is None:
        auth = f"Bearer {probe.secret if secret is None else secret}"
    headers = {"Authorization": auth} if auth else {}
    return client.post(url_for(probe.pk), data=body, content_type="application/json", headers=headers)


# --- Storing results


def test_a_single_result_is_stored(client, probe):
    observed = timezone.now() - timedelta(seconds=30)
    response = push(
        client,
        probe,
        {
            "ok": True,
            "latency_ms": 83,
            "location": "us-east",
            "observed_at": observed.isoformat(),
            "message": "200 OK",
        },
    )

    assert response.status_code == 201
    assert response.json() == {"stored": 1}
    result = ProbeResult.objects.get()
    assert result.probe == probe
    assert result.ok is True
    assert result.latency_ms == 83
    assert result.location == "us-east"
    assert result.observed_at == observed
    assert result.message == "200 OK"


def test_a_result_with_only_ok_is_stored_with_defaults(client, probe):
    before = timezone.now()

    response = push(client, probe, {"ok": False})

    assert response.status_code == 201
    result = ProbeResult.objects.get()
    assert result.ok is False
    assert result.latency_ms is None
    assert result.location == "default"
    assert result.observed_at >= before


def test_a_batch_of_results_is_stored(client, probe):
    batch = [
        {"ok": True, "latency_ms": 10.5, "location": "us-east", "observed_at": iso(3)},
        {"ok": True, "latency_ms": 12, "location": "eu-west", "observed_at": iso(2)},
        {"ok": False, "location": "ap-south", "observed_at": iso(1), "message": "timeout"},
    ]

    response = push(client, probe, batch)

    assert response.status_code == 201
    assert response.json() == {"stored": 3}
    assert ProbeResult.objects.filter(probe=probe).count() == 3
    assert sorted(ProbeResult.objects.values_list("location", flat=True)) == [
        "ap-south",
        "eu-west",
        "us-east",
    ]


# --- Confirmation: down after N consecutive failures, up after M successes


def test_one_failure_does_not_mark_the_component_down(client, probe, component):
    assert probe.failure_threshold == 2

    push(client, probe, {"ok": False, "observed_at": iso(1)})

    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == []


def test_two_consecutive_failures_mark_the_component_major_outage(client, probe, component):
    push(client, probe, {"ok": False, "observed_at": iso(2)})
    push(client, probe, {"ok": False, "observed_at": iso(1)})

    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE
    assert status_changes(component) == [("operational", "major_outage")]


def test_the_component_goes_down_only_when_the_probes_own_failure_threshold_is_reached(
    client, probe, component
):
    probe.failure_threshold = 4
    probe.save()

    for minutes_ago in (4, 3, 2):
        push(client, probe, {"ok": False, "observed_at": iso(minutes_ago)})
        assert status_of(component) == ComponentStatus.OPERATIONAL

    push(client, probe, {"ok": False, "observed_at": iso(1)})

    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE


def test_one_success_brings_a_down_component_back_to_operational(client, probe, component):
    assert probe.success_threshold == 1
    push(client, probe, [{"ok": False, "observed_at": iso(3)}, {"ok": False, "observed_at": iso(2)}])
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE

    push(client, probe, {"ok": True, "observed_at": iso(1)})

    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == [
        ("operational", "major_outage"),
        ("major_outage", "operational"),
    ]


def test_recovery_waits_for_the_probes_own_success_threshold(client, probe, component):
    probe.success_threshold = 3
    probe.save()
    push(client, probe, [{"ok": False, "observed_at": iso(6)}, {"ok": False, "observed_at": iso(5)}])

    push(client, probe, [{"ok": True, "observed_at": iso(4)}, {"ok": True, "observed_at": iso(3)}])
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE

    push(client, probe, {"ok": True, "observed_at": iso(2)})
    assert status_of(component) == ComponentStatus.OPERATIONAL


def test_a_success_between_failures_resets_the_failure_count(client, probe, component):
    push(client, probe, {"ok": False, "observed_at": iso(4)})
    push(client, probe, {"ok": True, "observed_at": iso(3)})
    push(client, probe, {"ok": False, "observed_at": iso(2)})

    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert status_changes(component) == []

    push(client, probe, {"ok": False, "observed_at": iso(1)})

    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE


def test_more_failures_while_down_write_no_more_events(client, probe, component):
    for minutes_ago in (5, 4, 3, 2, 1):
        push(client, probe, {"ok": False, "observed_at": iso(minutes_ago)})

    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE
    assert len(status_changes(component)) == 1


def test_successes_while_operational_write_no_events(client, probe, component):
    push(client, probe, [{"ok": True, "observed_at": iso(m)} for m in (3, 2, 1)])

    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert Event.objects.count() == 0


def test_each_status_change_writes_exactly_one_event_for_the_component(client, probe, component):
    push(client, probe, [{"ok": False, "observed_at": iso(m)} for m in (6, 5)])
    push(client, probe, {"ok": True, "observed_at": iso(4)})
    push(client, probe, [{"ok": False, "observed_at": iso(m)} for m in (3, 2)])

    events = list(Event.objects.order_by("id"))
    assert [e.kind for e in events] == [EventKind.COMPONENT_STATUS_CHANGED] * 3
    assert all(e.component_id == component.pk for e in events)
    assert [{k: e.data[k] for k in ("from", "to")} for e in events] == [
        {"from": "operational", "to": "major_outage"},
        {"from": "major_outage", "to": "operational"},
        {"from": "operational", "to": "major_outage"},
    ]


def test_a_batch_is_applied_in_observed_at_order_not_list_order(client, probe, component):
    # In list order this reads fail, fail, ok (ending up); by time it is ok, fail, fail (ending down).
    batch = [
        {"ok": False, "observed_at": iso(2), "message": "second"},
        {"ok": False, "observed_at": iso(1), "message": "third"},
        {"ok": True, "observed_at": iso(3), "message": "first"},
    ]

    response = push(client, probe, batch)

    assert response.status_code == 201
    assert status_of(component) == ComponentStatus.MAJOR_OUTAGE
    assert status_changes(component) == [("operational", "major_outage")]
    stored = ProbeResult.objects.order_by("observed_at").values_list("message", flat=True)
    assert list(stored) == ["first", "second", "third"]
    probe.refresh_from_db()
    assert ProbeLocationState.objects.get(probe=probe).consecutive_failures == 2
    assert probe.last_result_at == ProbeResult.objects.get(message="third").observed_at


def test_a_batch_ending_in_recovery_by_time_leaves_the_component_operational(client, probe, component):
    # In list order this reads ok, fail, fail (ending down); by time it is fail, fail, ok.
    batch = [
        {"ok": True, "observed_at": iso(1)},
        {"ok": False, "observed_at": iso(3)},
        {"ok": False, "observed_at": iso(2)},
    ]

    push(client, probe, batch)

    assert status_of(component) == ComponentStatus.OPERATIONAL


def test_an_outage_confirmed_and_recovered_inside_one_batch_is_recorded(client, probe, component):
    batch = [
        {"ok": False, "observed_at": iso(3)},
        {"ok": False, "observed_at": iso(2)},
        {"ok": True, "observed_at": iso(1)},
    ]

    push(client, probe, batch)

    assert status_changes(component) == [
        ("operational", "major_outage"),
        ("major_outage", "operational"),
    ]


def test_a_late_batch_does_not_move_last_result_at_backwards(client, probe):
    push(client, probe, {"ok": True, "observed_at": iso(1)})
    probe.refresh_from_db()
    latest = probe.last_result_at

    push(client, probe, [{"ok": True, "observed_at": iso(10)}])

    probe.refresh_from_db()
    assert probe.last_result_at == latest


# --- Bad input: a clear 4xx, nothing stored, nothing changed


def assert_rejected(response, status_code: int, component) -> dict:
    assert response.status_code == status_code
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"]
    assert ProbeResult.objects.count() == 0
    assert status_of(component) == ComponentStatus.OPERATIONAL
    assert Event.objects.count() == 0
    return body


def fail_twice() -> list[dict]:
    """A payload that would mark the component down if it were accepted."""
    return [{"ok": False, "observed_at": iso(2)}, {"ok": False, "observed_at": iso(1)}]


def test_an_unknown_probe_is_404(client, probe, component):
    response = client.post(
        url_for(probe.pk + 1000),
        data=json.dumps(fail_twice()),
        content_type="application/json",
        headers={"Authorization": f"Bearer {probe.secret}"},
    )

    body = assert_rejected(response, 404, component)
    assert "no probe" in body["error"]


def test_a_missing_authorization_header_is_rejected_and_stores_nothing(client, probe, component):
    response = push(client, probe, fail_twice(), auth="")

    body = assert_rejected(response, 401, component)
    assert "Bearer" in body["error"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_wrong_secret_is_rejected_and_stores_nothing(client, probe, component):
    response = push(client, probe, fail_twice(), secret="not-the-secret")

    assert_rejected(response, 401, component)


def test_another_probes_secret_is_rejected(client, probe, component):
    other = probe.__class__.objects.create(component=component, name="other")

    response = push(client, probe, fail_twice(), secret=other.secret)

    assert_rejected(response, 401, component)


def test_an_empty_bearer_token_is_rejected(client, probe, component):
    response = push(client, probe, fail_twice(), auth="Bearer ")

    assert_rejected(response, 401, component)


@pytest.mark.parametrize("scheme", ["Basic", "Token", "Secret"])
def test_a_non_bearer_scheme_is_rejected_even_with_the_right_secret(client, probe, component, scheme):
    response = push(client, probe, fail_twice(), auth=f"{scheme} {probe.secret}")

    assert_rejected(response, 401, component)


def test_the_bare_secret_without_a_scheme_is_rejected(client, probe, component):
    response = push(client, probe, fail_twice(), auth=probe.secret)

    assert_rejected(response, 401, component)


@pytest.mark.parametrize(
    "body",
    [
        "",
        "{",
        '{"ok": true,}',
        "not json",
        "{'ok': True}",
        b"\xff\xfe\x00",
    ],
    ids=["empty", "unclosed", "trailing-comma", "text", "python-repr", "not-utf8"],
)
def test_malformed_json_is_400(client, probe, component, body):
    response = push(client, probe, body=body)

    body = assert_rejected(response, 400, component)
    assert "JSON" in body["error"]


def test_deeply_nested_json_is_400_not_a_recursion_error(client, probe, component):
    response = push(client, probe, body="[" * 100_000 + "]" * 100_000)

    assert_rejected(response, 400, component)


@pytest.mark.parametrize(
    "payload", ["ok", 1, 3.5, True, None], ids=["string", "int", "float", "bool", "null"]
)
def test_json_that_is_not_an_object_or_list_is_400(client, probe, component, payload):
    response = push(client, probe, payload)

    body = assert_rejected(response, 400, component)
    assert body["fields"] == {"": "expected a JSON object or a list of objects"}


def test_an_empty_list_is_400(client, probe, component):
    response = push(client, probe, [])

    body = assert_rejected(response, 400, component)
    assert "at least one" in body["fields"][""]


def test_a_batch_over_the_limit_is_400(client, probe, component):
    response = push(client, probe, [{"ok": True}] * 1001)

    body = assert_rejected(response, 400, component)
    assert "1000" in body["fields"][""]


def test_a_body_over_the_size_limit_is_413(client, probe, component):
    response = push(client, probe, {"ok": True, "message": "x" * (600 * 1024)})

    assert_rejected(response, 413, component)


@pytest.mark.parametrize(
    "item, field",
    [
        ({}, "ok"),
        ({"ok": "true"}, "ok"),
        ({"ok": 1}, "ok"),
        ({"ok": 0}, "ok"),
        ({"ok": None}, "ok"),
        ({"ok": False, "latency_ms": "83"}, "latency_ms"),
        ({"ok": False, "latency_ms": -1}, "latency_ms"),
        ({"ok": False, "latency_ms": True}, "latency_ms"),
        ({"ok": False, "latency_ms": 3_600_001}, "latency_ms"),
        ({"ok": False, "latency_ms": [83]}, "latency_ms"),
        ({"ok": False, "location": 5}, "location"),
        ({"ok": False, "location": ["us-east"]}, "location"),
        ({"ok": False, "location": None}, "location"),
        ({"ok": False, "location": "x" * 65}, "location"),
        ({"ok": False, "message": {"text": "down"}}, "message"),
        ({"ok": False, "message": "x" * 1001}, "message"),
        ({"ok": False, "observed_at": "yesterday"}, "observed_at"),
        ({"ok": False, "observed_at": "2024-13-45T99:00:00Z"}, "observed_at"),
        ({"ok": False, "observed_at": 1700000000}, "observed_at"),
        ({"ok": False, "observed_at": "1999-12-31T23:59:59Z"}, "observed_at"),
        ({"ok": False, "observed_at": "2999-01-01T00:00:00Z"}, "observed_at"),
        ({"ok": False, "observed_at": "9999-12-31T23:59:59-23:59"}, "observed_at"),
    ],
    ids=[
        "ok-missing",
        "ok-string",
        "ok-one",
        "ok-zero",
        "ok-null",
        "latency-string",
        "latency-negative",
        "latency-bool",
        "latency-too-large",
        "latency-list",
        "location-number",
        "location-list",
        "location-null",
        "location-too-long",
        "message-object",
        "message-too-long",
        "observed-at-words",
        "observed-at-impossible-date",
        "observed-at-epoch-number",
        "observed-at-last-century",
        "observed-at-far-future",
        "observed-at-max-date",
    ],
)
def test_a_wrongly_typed_field_is_400_and_names_the_field(client, probe, component, item, field):
    response = push(client, probe, item)

    body = assert_rejected(response, 400, component)
    assert field in body["fields"]


@pytest.mark.parametrize("raw", ['{"ok": false, "latency_ms": NaN}', '{"ok": false, "latency_ms": Infinity}'])
def test_a_non_finite_latency_is_400(client, probe, component, raw):
    response = push(client, probe, body=raw)

    body = assert_rejected(response, 400, component)
    assert "latency_ms" in body["fields"]


def test_observed_at_a_few_minutes_in_the_future_is_400(client, probe, component):
    ahead = (timezone.now() + timedelta(minutes=10)).isoformat()

    response = push(client, probe, {"ok": False, "observed_at": ahead})

    body = assert_rejected(response, 400, component)
    assert body["fields"] == {"observed_at": "is in the future"}


def test_a_small_clock_skew_into_the_future_is_accepted(client, probe):
    ahead = (timezone.now() + timedelta(minutes=1)).isoformat()

    response = push(client, probe, {"ok": True, "observed_at": ahead})

    assert response.status_code == 201


def test_a_naive_observed_at_is_read_as_utc(client, probe):
    observed = (timezone.now() - timedelta(minutes=1)).replace(microsecond=0)
    naive = observed.replace(tzinfo=None).isoformat()

    push(client, probe, {"ok": True, "observed_at": naive})

    assert ProbeResult.objects.get().observed_at == observed


def test_one_bad_item_rejects_the_whole_batch_and_stores_nothing(client, probe, component):
    batch = fail_twice() + [{"ok": "false", "observed_at": iso(0)}]

    response = push(client, probe, batch)

    body = assert_rejected(response, 400, component)
    assert body["fields"] == {"2.ok": "required, true or false"}


def test_a_batch_names_every_bad_item_and_field(client, probe, component):
    batch = [{"ok": True}, {"ok": 1, "latency_ms": -5}, "not an object", {"ok": True, "location": 7}]

    response = push(client, probe, batch)

    body = assert_rejected(response, 400, component)
    assert set(body["fields"]) == {"1.ok", "1.latency_ms", "2", "3.location"}


def test_get_is_405(client, probe, component):
    response = client.get(url_for(probe.pk), headers={"Authorization": f"Bearer {probe.secret}"})

    assert response.status_code == 405
    assert ProbeResult.objects.count() == 0


# --- Inputs that once reached the database and gave a 500


def test_an_integer_latency_too_big_for_a_float_is_400(client, probe, component):
    response = push(client, probe, body='{"ok": false, "latency_ms": 1' + "0" * 400 + "}")

    assert_rejected(response, 400, component)


@pytest.mark.parametrize("field", ["message", "location"])
def test_a_lone_surrogate_in_a_text_field_is_400(client, probe, component, field):
    response = push(client, probe, body='{"ok": false, "' + field + '": "\\ud800"}')

    assert_rejected(response, 400, component)


@pytest.mark.parametrize("field", ["message", "location"])
def test_a_nul_in_a_text_field_is_400(client, probe, component, field):
    response = push(client, probe, {"ok": True, field: "us\x00east"})

    assert_rejected(response, 400, component)


# --- Property: no JSON body gives a 5xx, and a 4xx stores nothing


# st.characters() includes lone surrogates and NUL, which must be rejected, not stored.
text = st.text(st.characters(), max_size=70)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | text
any_json = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
    max_leaves=20,
)
past_times = st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2024, 1, 1))
# Valid field values, so that many examples reach storage and status evaluation.
valid_fields = {
    "latency_ms": st.floats(min_value=0, max_value=3_600_000) | st.integers(0, 3_600_000),
    "location": st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=64),
    "observed_at": past_times.map(datetime.isoformat) | past_times.map(lambda d: d.isoformat() + "Z"),
    "message": st.text(max_size=1000),
}
valid_results = st.fixed_dictionaries({"ok": st.booleans()}, optional=valid_fields)
# Nearly right results: each field is valid, oddly typed, or out of range.
near_results = st.fixed_dictionaries(
    {},
    optional={
        "ok": st.booleans() | any_json,
        "latency_ms": valid_fields["latency_ms"] | st.floats() | st.integers() | any_json,
        "location": valid_fields["location"] | any_json,
        "observed_at": valid_fields["observed_at"]
        | st.datetimes(timezones=st.timezones() | st.none()).map(datetime.isoformat)
        | any_json,
        "message": st.text(max_size=1001) | any_json,
    },
)
results = valid_results | near_results
payloads = st.one_of(any_json, results, st.lists(results | any_json, max_size=5))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=payloads)
def test_no_json_payload_gives_a_5xx_and_a_rejected_one_stores_nothing(client, probe, component, payload):
    results_before = ProbeResult.objects.count()
    events_before = Event.objects.count()
    status_before = status_of(component)

    response = push(client, probe, payload)

    assert response.status_code < 500
    if 400 <= response.status_code < 500:
        assert response.json()["error"]
        assert ProbeResult.objects.count() == results_before
        assert Event.objects.count() == events_before
        assert status_of(component) == status_before
    else:
        assert response.status_code == 201
        assert ProbeResult.objects.count() == results_before + response.json()["stored"]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=200))
def test_no_raw_body_gives_a_5xx(client, probe, body):
    results_before = ProbeResult.objects.count()

    response = push(client, probe, body=body)

    assert response.status_code < 500
    if response.status_code >= 400:
        assert ProbeResult.objects.count() == results_before
