"""P3: one incident update fanned out to N confirmed subscribers through real Celery workers."""

from __future__ import annotations

import json
import os
import threading
import time

import psutil

from bench import dataset
from bench.context import Bench, Row
from bench.fakes import FakesClient, worker_env
from bench.p5_notify import purge_queue


class RssSampler(threading.Thread):
    """Peak RSS of some processes and all their descendants, summed, sampled every `interval` seconds."""

    def __init__(self, pids: list[int], interval: float = 0.2):
        super().__init__(daemon=True)
        self.roots = [psutil.Process(pid) for pid in pids]
        self.interval = interval
        self.peak = 0
        self.samples = 0
        self.stopping = threading.Event()

    def sample(self) -> int:
        total = 0
        tree = [p for root in self.roots for p in (root, *root.children(recursive=True))]
        for proc in tree:
            try:
                total += proc.memory_info().rss
            except psutil.Error:
                pass
        return total

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.peak = max(self.peak, self.sample())
                self.samples += 1
            except psutil.Error:
                return
            self.stopping.wait(self.interval)

    def stop(self) -> int:
        self.stopping.set()
        self.join(timeout=5)
        return self.peak


def delivery_counts() -> dict:
    from django.db.models import Count

    from notifications.models import Delivery

    return dict(Delivery.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))


def fanout_seconds(update, started: float) -> float | None:
    """Seconds from the update to the end of its fan-out task (every Delivery row made)."""
    from notifications.models import FanOut

    finished = FanOut.objects.filter(event__incident_update=update, finished_at__isnull=False).first()
    return finished.finished_at.timestamp() - started if finished else None


def fan_out(bench: Bench, fakes: FakesClient, count: int, timeout: float) -> dict:
    from incidents.models import Incident, IncidentStatus
    from incidents.timeline import incident_lifecycle

    insert_s = dataset.replace_subscribers(count)
    purge_queue()
    workers = [
        bench.celery_worker(f"celery-p3-{count}-{n}", worker_env(bench, fakes))
        for n in range(bench.celery_workers)
    ]
    sampler = RssSampler([w.pid for w in workers])
    idle_rss = sampler.sample()
    sampler.start()
    fakes.reset()
    try:
        incident = Incident.objects.get(pk=bench.incident_id)
        started = time.time()
        update = incident_lifecycle.post_update(
            incident, IncidentStatus.MONITORING, f"A fix is in place; we are monitoring ({count})."
        )
        posted = time.time()
        deadline = time.monotonic() + timeout
        last_check = 0.0
        while time.monotonic() < deadline:
            stats = fakes.stats()
            if stats["email"]["count"] + stats["sms"]["count"] >= count:
                break
            if time.monotonic() - last_check > 3:  # stop early if everything left has failed
                last_check = time.monotonic()
                counts = delivery_counts()
                if sum(counts.values()) >= count and not counts.get("queued") and not counts.get("sending"):
                    break
            time.sleep(0.2)
        stats = fakes.stats()
    finally:
        peak = sampler.stop()
        for worker in workers:
            worker.stop()
    delivered = stats["email"]["count"] + stats["sms"]["count"]
    lasts = [s["last"] for s in (stats["email"], stats["sms"]) if s["last"]]
    to_last = (max(lasts) - started) if lasts else None
    data = {
        "subscribers": count,
        "insert_seconds": insert_s,
        "delivered": delivered,
        "email": stats["email"]["count"],
        "sms": stats["sms"]["count"],
        "post_update_seconds": posted - started,
        "time_to_last_s": to_last,
        "deliveries_per_second": delivered / to_last if to_last else 0.0,
        "complete": delivered >= count,
        "worker_idle_rss_mb": idle_rss / 2**20,
        "worker_peak_rss_mb": peak / 2**20,
        "rss_samples": sampler.samples,
        "delivery_rows": delivery_counts(),
        "celery_workers": bench.celery_workers,
        "celery_concurrency": bench.celery_concurrency,
        "fanout_rows_seconds": fanout_seconds(update, started),
    }
    bench.log(
        f"P3: {count:>7d} subscribers: {delivered} delivered in {to_last or 0:.1f} s "
        f"({data['deliveries_per_second']:.0f}/s), worker peak RSS {data['worker_peak_rss_mb']:.0f} MB, "
        f"rows {data['delivery_rows']}"
    )
    return data


def bare_loop(bench: Bench, fakes: FakesClient, count: int, max_seconds: float) -> dict:
    fakes.reset()
    info = fakes.info
    env = bench.app_env(
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        DEFAULT_FROM_EMAIL="status@bench.test",
        BENCH_SMTP_PORT=str(info["smtp_port"]),
        TWILIO_API_BASE_URL=info["twilio_url"],
        TWILIO_ACCOUNT_SID=info["twilio_sid"],
        TWILIO_AUTH_TOKEN=info["twilio_token"],
    )
    out = bench.python(["-m", "bench.bareloop", str(count), str(max_seconds)], env, timeout=max_seconds + 120)
    data = json.loads(out.strip().splitlines()[-1])
    stats = fakes.stats()
    data["received"] = stats["email"]["count"] + stats["sms"]["count"]
    bench.log(
        f"P3: bare loop sent {data['sent']} in {data['seconds']:.1f} s ({data['per_second']:.0f}/s), "
        f"servers got {data['received']}"
    )
    return data


def run(bench: Bench, fakes: FakesClient) -> dict:
    sizes = [200] if bench.smoke else [10_000] if bench.quick else [10_000, 100_000]
    data: dict = {
        "sizes": sizes,
        "celery_workers": bench.celery_workers,
        "celery_concurrency": bench.celery_concurrency,
        "pool": "prefork",
    }
    # The baseline first, while nothing else runs (after a fan-out PostgreSQL is still busy with its rows).
    data["bare_loop"] = bare_loop(bench, fakes, sizes[0], 10 if bench.quick else 60)
    for size in sizes:
        bound = 150 if size <= 10_000 else float(os.environ.get("BENCH_P3_MAX_SECONDS", "200"))
        if bench.smoke:
            bound = 30  # a few hundred messages take seconds: a stuck fan-out should fail fast
        data[str(size)] = fan_out(bench, fakes, size, timeout=bound)
        data[str(size)]["bound_seconds"] = bound
    bare = data["bare_loop"]["per_second"]
    small, large = data[str(sizes[0])], data[str(sizes[-1])]
    for size in sizes:
        run = data[str(size)]
        ratio = run["deliveries_per_second"] / bare if bare else None
        bench.add(
            Row(
                f"P3 fan-out {size:,} deliveries/s",
                run["deliveries_per_second"],
                "msg/s",
                f"bare loop {bare:.0f}/s",
                ratio,
                ">= 0.5x bare loop" if size == sizes[-1] else "",
                (ratio is not None and ratio >= 0.5) if size == sizes[-1] else None,
            )
        )
        if run["complete"]:
            value, comparison = run["time_to_last_s"], f"all {size:,} delivered"
        else:
            value = None
            comparison = (
                f"unfinished: {run['delivered']:,} of {size:,} in the {run['bound_seconds']:.0f} s bound"
            )
        bench.add(
            Row(
                f"P3 fan-out {size:,} time to last delivery",
                value,
                "s",
                comparison,
                None,
                "<= 120 s" if size == 100_000 else "",
                (value is not None and value <= 120) if size == 100_000 else None,
            )
        )
    if len(sizes) > 1:
        base, label, target = small["worker_peak_rss_mb"], f"at {sizes[0]:,}", "<= 1.2x"
    else:
        base, label, target = large["worker_idle_rss_mb"], "idle, before the update", ""
    ratio = large["worker_peak_rss_mb"] / base if base else None
    bench.add(
        Row(
            f"P3 worker peak RSS at {sizes[-1]:,} ({bench.celery_workers}x{bench.celery_concurrency} pool)",
            large["worker_peak_rss_mb"],
            "MB",
            f"{label}: {base:.0f} MB",
            ratio,
            target,
            (ratio is not None and ratio <= 1.2) if target else None,
        )
    )
    return data
