"""P5: seconds from the confirming probe failure to the first text accepted by FakeTwilio."""

from __future__ import annotations

import time

import requests

from bench.context import Bench, Row, wait_for
from bench.fakes import FakesClient, worker_env


def purge_queue() -> None:
    from statuspage.celery import app

    app.control.purge()


def run(bench: Bench, fakes: FakesClient) -> dict:
    from django.utils import timezone

    from bench import dataset
    from incidents.models import Component, Probe
    from notifications.models import Subscriber

    component = Component.objects.create(
        name="Bench P5 detect-to-notify",
        auto_incident=True,
        auto_publish=True,
        position=999,
        accounted_until=timezone.now(),
    )
    probe = Probe.objects.create(component=component, name="push")
    dataset.replace_subscribers(0)
    Subscriber.objects.create(phone="+15557654321", phone_confirmed_at=timezone.now())
    purge_queue()
    worker = bench.celery_worker("celery-p5", worker_env(bench, fakes))
    try:
        fakes.reset()
        url = f"http://127.0.0.1:{bench.app_port}/api/v1/probes/{probe.pk}/results"
        headers = {"Authorization": f"Bearer {probe.secret}"}
        body = {"ok": False, "latency_ms": 5000, "location": "us-east", "message": "bench: HTTP 503"}
        first = requests.post(url, json=body, headers=headers, timeout=30)
        confirming_at = time.time()
        second = requests.post(url, json=body, headers=headers, timeout=30)
        answered_at = time.time()
        if (first.status_code, second.status_code) != (201, 201):
            raise RuntimeError(
                f"probe POSTs answered {first.status_code}, {second.status_code}: {second.text[:300]}"
            )
        timeout = 20 if bench.smoke else 60
        stats = wait_for(lambda: fakes.stats()["sms"]["first"] and fakes.stats(), timeout, interval=0.02)
    finally:
        worker.stop()
    window = (probe.failure_threshold - 1) * probe.interval_seconds
    data = {
        "failure_threshold": probe.failure_threshold,
        "interval_seconds": probe.interval_seconds,
        "confirmation_window_s": window,
        "post_response_s": answered_at - confirming_at,
        "component_status": Component.objects.get(pk=component.pk).status,
        "incident_opened": component.incidents.filter(is_published=True).exists(),
    }
    if stats:
        data["detect_to_notify_s"] = stats["sms"]["first"] - confirming_at
        bench.log(
            f"P5: confirming POST answered in {data['post_response_s'] * 1000:.0f} ms; "
            f"first SMS after {data['detect_to_notify_s']:.2f} s"
        )
    else:
        data["detect_to_notify_s"] = None
        bench.log(f"P5: no SMS reached FakeTwilio within {timeout} s")
    value = data["detect_to_notify_s"]
    bench.add(
        Row(
            "P5 detect-to-notify (2nd failing POST -> SMS accepted)",
            value,
            "s",
            f"confirmation window {window} s "
            f"({probe.failure_threshold} failures, {probe.interval_seconds} s apart)",
            None,
            f"<= {window + 5} s (window + 5 s)",
            value is not None and value <= window + 5,
        )
    )
    return data
