"""P1: "/" and /api/v2/summary.json through gunicorn, beside hello-world, nginx static, the snapshot path."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import redis

from bench import procs, wrk
from bench.context import REDIS_URL, Bench, Row
from bench.urls import HELLO_PATH

PAGES = {"/": "index.html", "/api/v2/summary.json": "api/v2/summary.json"}
GZIP = "Accept-Encoding: gzip"
# What wrk asks for: each page as wrk asks by default (no Accept-Encoding), and "/" as browsers do.
VARIANTS = {"/": ("/", []), "/api/v2/summary.json": ("/api/v2/summary.json", []), "/ gzip": ("/", [GZIP])}
CONNECTIONS = (50, 200)
# A smoke run only shows that each path answers. An uncached render of "/" takes ~0.25 s of CPU:
# at 4 connections its answers came after ~0.5 s, too close to the end of a 1 s wrk run.
SMOKE_CONNECTIONS = (2,)
WORKER_CLASSES = ("sync", "gthread")


def start_app(
    bench: Bench, name: str, *, uncached: bool = False, worker_class: str | None = None
) -> tuple[procs.Proc, int]:
    port = procs.free_port()
    env = bench.app_env(**({"BENCH_UNCACHED": "1"} if uncached else {}))
    proc = procs.gunicorn(
        name,
        port,
        env,
        bench.run_dir / f"{name}.log",
        worker_class=worker_class or bench.worker_class,
        threads=bench.gunicorn_threads,
    )
    for path in PAGES:  # the first request of each worker loads templates, connects, fills the cache
        for _ in range(4):
            status, _, body = procs.http_get(f"http://127.0.0.1:{port}{path}", timeout=60)
            if status != 200:
                raise RuntimeError(f"{name}: GET {path} answered {status}: {body[:500]!r}")
    return proc, port


def connection_counts(bench: Bench) -> tuple[int, ...]:
    """The wrk connection counts of this run."""
    return SMOKE_CONNECTIONS if bench.smoke else CONNECTIONS


def reset_cache(bench: Bench) -> None:
    """Forget cached pages and disk snapshots, so the next request renders what the database holds now."""
    redis.Redis.from_url(REDIS_URL).flushdb()
    shutil.rmtree(bench.snapshot_dir, ignore_errors=True)


def choose_worker_class(bench: Bench) -> dict:
    """Run "/" briefly under each worker class; keep the faster (geometric mean over the connections)."""
    seconds = 1 if bench.smoke else 2 if bench.quick else 3
    trial = {}
    for worker_class in WORKER_CLASSES:
        proc, port = start_app(bench, f"gunicorn-trial-{worker_class}", worker_class=worker_class)
        try:
            rates = {}
            for connections in connection_counts(bench):
                procs.settle(port)
                url = f"http://127.0.0.1:{port}/"
                rates[connections] = wrk.run(url, connections=connections, duration=seconds).rps
        finally:
            proc.stop()
        trial[worker_class] = {
            **{f"rps_c{connections}": rps for connections, rps in rates.items()},
            "score": math.prod(rates.values()) ** (1 / len(rates)),
        }
        shown = "  ".join(f"c{connections} {rps:8.0f} req/s" for connections, rps in rates.items())
        bench.log(f"  trial {worker_class:8s} '/': {shown}")
    bench.worker_class = max(trial, key=lambda k: trial[k]["score"])
    return trial


def nginx_servers(
    static_port: int, static_root: Path, snapshot_port: int, snapshot_root: Path, app_port: int
) -> str:
    return f"""
    upstream app {{ server 127.0.0.1:{app_port}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{static_port};
        root {static_root};
        gzip_static on;
        location = / {{ try_files /index.html =404; }}
        location / {{ try_files $uri =404; }}
    }}
    server {{
        # The snapshot path as README.md ("Fast and up ...") configures it: files first, else the app.
        listen 127.0.0.1:{snapshot_port};
        root {snapshot_root};
        gzip_static on;
        location = / {{
            default_type text/html;
            try_files /index.html @app;
            add_header Cache-Control "public, max-age=10";
        }}
        location /api/v2/ {{
            default_type application/json;
            try_files $uri @app;
            add_header Access-Control-Allow-Origin "*";
            add_header Cache-Control "public, max-age=10";
        }}
        location / {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
        location @app {{
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            add_header X-Bench-Served-By gunicorn always;
        }}
    }}
"""


def _measure(
    bench: Bench, label: str, url: str, connections: int, settle_port: int | None = None, headers=None
) -> dict:
    if settle_port:
        procs.settle(settle_port)
    result = wrk.run(url, connections=connections, duration=bench.wrk_seconds, headers=headers)
    bench.log(
        f"  {label:34s} c{connections:<3d} {result.rps:9.0f} req/s  p50 {result.p50_ms:8.2f} ms"
        f"  p99 {result.p99_ms:8.2f} ms  non-2xx {result.non_2xx_3xx}  errors {result.errors}"
    )
    return result.as_dict()


def run(bench: Bench) -> dict:
    data: dict = {}
    bench.log("P1: choosing the gunicorn worker class")
    reset_cache(bench)
    data["worker_class_trial"] = choose_worker_class(bench)
    data["worker_class"] = bench.worker_class
    data["gunicorn"] = {"workers": 2, "worker_class": bench.worker_class, "threads": bench.gunicorn_threads}
    bench.log(f"P1: gunicorn -w 2 -k {bench.worker_class}; pages cached as the app caches them")

    reset_cache(bench)
    app, app_port = start_app(bench, "gunicorn")
    bench.app_proc, bench.app_port = app, app_port

    static_root = bench.run_dir / "static"
    snapshot_files = {}
    for path, file_name in PAGES.items():
        status, headers, body = procs.http_get(f"http://127.0.0.1:{app_port}{path}")
        target = static_root / file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        snapshot = bench.site_snapshot_dir / file_name
        _, gz_headers, gz_body = procs.http_get(
            f"http://127.0.0.1:{app_port}{path}", headers={"Accept-Encoding": "gzip"}
        )
        gzipped = gz_headers.get("Content-Encoding") == "gzip"
        if gzipped:  # the app's own gzip bytes, for nginx's gzip_static
            target.with_name(target.name + ".gz").write_bytes(gz_body)
        snapshot_files[path] = {
            "bytes": len(body),
            "gzip_bytes": len(gz_body) if gzipped else None,
            "x_snapshot_header": headers.get("X-Snapshot"),
            "snapshot_file": snapshot.exists(),
            "snapshot_file_same_bytes": snapshot.exists() and snapshot.read_bytes() == body,
            "snapshot_gz_file": snapshot.with_name(snapshot.name + ".gz").exists(),
        }
    data["pages"] = snapshot_files
    static_port, snapshot_port = procs.free_port(), procs.free_port()
    # README's `root SNAPSHOT_DIR/$host`, for SITE_URL's host: wrk asks for 127.0.0.1.
    servers = nginx_servers(static_port, static_root, snapshot_port, bench.site_snapshot_dir, app_port)
    nginx = procs.nginx(bench.run_dir, servers)
    procs.wait_port(static_port, proc=nginx)
    procs.wait_port(snapshot_port, proc=nginx)
    for path in PAGES:
        _, headers, _ = procs.http_get(f"http://127.0.0.1:{snapshot_port}{path}")
        snapshot_files[path]["snapshot_path_served_by"] = (
            "gunicorn (no snapshot file)" if headers.get("X-Bench-Served-By") else "nginx (snapshot file)"
        )

    targets = {"hello": (f"http://127.0.0.1:{app_port}/{HELLO_PATH}", [])}
    for kind, port in (
        ("gunicorn", app_port),
        ("nginx static", static_port),
        ("nginx snapshot", snapshot_port),
    ):
        for variant, (path, headers) in VARIANTS.items():
            targets[f"{kind} {variant}"] = (f"http://127.0.0.1:{port}{path}", headers)
    runs: dict = {}
    try:
        for connections in connection_counts(bench):
            for label, (url, headers) in targets.items():
                runs[f"{label} c{connections}"] = _measure(bench, label, url, connections, app_port, headers)
    finally:
        nginx.stop()

    bench.log("P1: uncached render (snapshots off, DummyCache)")
    first = connection_counts(bench)[0]
    uncached, uncached_port = start_app(bench, "gunicorn-uncached", uncached=True)
    try:
        for path in PAGES:
            url = f"http://127.0.0.1:{uncached_port}{path}"
            runs[f"uncached {path} c{first}"] = _measure(bench, f"uncached {path}", url, first, uncached_port)
    finally:
        uncached.stop()
    data["runs"] = runs
    _rows(bench, data)
    return data


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _rows(bench: Bench, data: dict) -> None:
    runs = data["runs"]
    for connections in connection_counts(bench):
        hello = runs[f"hello c{connections}"]
        for path in VARIANTS:
            page = runs[f"gunicorn {path} c{connections}"]
            static = runs[f"nginx static {path} c{connections}"]
            snapshot = runs[f"nginx snapshot {path} c{connections}"]
            ratio = _ratio(page["rps"], hello["rps"])
            bench.add(
                Row(
                    f"P1 {path} gunicorn c{connections} req/s",
                    page["rps"],
                    "req/s",
                    f"hello-world {hello['rps']:.0f}",
                    ratio,
                    ">= 0.8x hello and > 4900",
                    ratio is not None and ratio >= 0.8 and page["rps"] > 4900,
                )
            )
            bench.add(
                Row(
                    f"P1 {path} gunicorn c{connections} p50 / p99",
                    page["p50_ms"],
                    "ms",
                    f"p99 {page['p99_ms']:.1f} ms; hello p50 {hello['p50_ms']:.2f} p99 {hello['p99_ms']:.1f}",
                )
            )
            bench.add(
                Row(
                    f"P1 {path} vs nginx static c{connections}",
                    page["rps"],
                    "req/s",
                    f"nginx static {static['rps']:.0f}",
                    _ratio(page["rps"], static["rps"]),
                )
            )
            ratio = _ratio(snapshot["rps"], static["rps"])
            bench.add(
                Row(
                    f"P1 {path} nginx snapshot path c{connections}",
                    snapshot["rps"],
                    "req/s",
                    f"nginx static {static['rps']:.0f}",
                    ratio,
                    ">= 0.8x nginx static",
                    ratio is not None and ratio >= 0.8,
                )
            )
    first = connection_counts(bench)[0]
    for path in PAGES:
        run = runs[f"uncached {path} c{first}"]
        cached = runs[f"gunicorn {path} c{first}"]
        bench.add(
            Row(
                f"P1 {path} uncached render c{first}",
                run["rps"],
                "req/s",
                f"cached {cached['rps']:.0f}; p50 {run['p50_ms']:.0f} ms p99 {run['p99_ms']:.0f} ms",
                _ratio(run["rps"], cached["rps"]),
                ">= 600 req/s" if path == "/" else "",
                run["rps"] >= 600 if path == "/" else None,
            )
        )
