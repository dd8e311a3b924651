"""P4: the probe results webhook through gunicorn, one result per request and 100 per request."""

from __future__ import annotations

from bench import procs, wrk
from bench.context import Bench, Row
from bench.urls import HELLO_PATH

BATCH = 100
CONNECTIONS = 50


def run(bench: Bench) -> dict:
    from incidents.models import Probe, ProbeResult

    probes_file = bench.run_dir / "probes.txt"
    probes = Probe.objects.filter(component__name__startswith="Service ").order_by("pk")
    probes_file.write_text("".join(f"{p.pk} {p.secret}\n" for p in probes))
    base = f"http://127.0.0.1:{bench.app_port}"
    data: dict = {"probes": probes.count(), "connections": CONNECTIONS, "batch": BATCH}

    procs.settle(bench.app_port)
    hello = wrk.run(
        f"{base}/{HELLO_PATH}", connections=CONNECTIONS, duration=bench.wrk_seconds, script="post_hello.lua"
    )
    data["hello_post"] = hello.as_dict()
    bench.log(f"P4: hello POST              {hello.rps:9.0f} req/s  p99 {hello.p99_ms:.1f} ms")

    for label, batch in (("single", 1), ("batched", BATCH)):
        procs.settle(bench.app_port)
        before = ProbeResult.objects.count()
        result = wrk.run(
            f"{base}/api/v1/probes/0/results",
            connections=CONNECTIONS,
            duration=bench.wrk_seconds,
            script="post_results.lua",
            script_args=[str(probes_file), str(batch)],
        )
        stored = ProbeResult.objects.count() - before
        acknowledged = result.script.get("created", 0) * batch
        run = result.as_dict()
        run.update(
            batch=batch,
            results_per_second=acknowledged / result.duration_s,
            acknowledged_results=acknowledged,
            stored_results=stored,
            lost=max(0, acknowledged - stored),
            # Requests wrk gave up on at the deadline may still have been stored.
            stored_beyond_acknowledged=max(0, stored - acknowledged),
            non_201=result.script.get("other", 0),
        )
        data[label] = run
        bench.log(
            f"P4: {label:8s} x{batch:<3d}          {run['results_per_second']:9.0f} results/s "
            f"({result.rps:.0f} req/s, p99 {result.p99_ms:.1f} ms) "
            f"stored {stored} of {acknowledged} acknowledged, "
            f"non-201 {run['non_201']}, socket errors {result.errors}"
        )

    single, batched = data["single"], data["batched"]
    bench.add(
        Row(
            "P4 ingest, 1 result per request",
            single["results_per_second"],
            "results/s",
            f"hello POST {hello.rps:.0f} req/s",
            single["results_per_second"] / hello.rps if hello.rps else None,
            ">= 630",
            single["results_per_second"] >= 630,
        )
    )
    bench.add(
        Row(
            f"P4 ingest, {BATCH} results per request",
            batched["results_per_second"],
            "results/s",
            f"hello POST {hello.rps:.0f} req/s",
            batched["results_per_second"] / hello.rps if hello.rps else None,
            ">= 3200",
            batched["results_per_second"] >= 3200,
        )
    )
    lost = single["lost"] + batched["lost"]
    bad = single["non_201"] + batched["non_201"]
    bench.add(
        Row(
            "P4 results lost (acknowledged, not stored)",
            lost,
            "results",
            f"{single['acknowledged_results'] + batched['acknowledged_results']} acknowledged, "
            f"{single['stored_results'] + batched['stored_results']} stored, {bad} non-201",
            None,
            "0 lost, 0 non-201",
            lost == 0 and bad == 0,
        )
    )
    return data
