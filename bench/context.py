"""What every phase shares: durations, the app's environment, the result rows."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import ROOT, VENV_BIN, Proc, wait_port

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_statuspage")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
QUEUE = "bench"


SITE_HOST = "status.bench.test"  # SITE_URL's host


@dataclass
class Row:
    """One line of the final table."""

    metric: str
    value: float | None
    unit: str = ""
    comparison: str = ""  # what the value is compared with, and its figure
    ratio: float | None = None
    target: str = ""
    met: bool | None = None  # None: no target


@dataclass
class Bench:
    quick: bool
    run_dir: Path
    # A smoke run (also quick): every phase at tiny counts, to show each still works, not to measure.
    smoke: bool = False
    started_at: float = field(default_factory=time.time)
    secret_key: str = field(default_factory=lambda: "bench-" + secrets.token_urlsafe(32))
    results: dict = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: dict[str, list[str]] = field(default_factory=dict)  # phase -> why it failed
    worker_class: str = "gthread"
    gunicorn_threads: int = 4
    celery_workers: int = int(os.environ.get("BENCH_CELERY_WORKERS", "2"))
    celery_concurrency: int = int(os.environ.get("BENCH_CELERY_CONCURRENCY", "2"))
    celery_loglevel: str = os.environ.get("BENCH_CELERY_LOGLEVEL", "INFO")
    incident_id: int | None = None
    meta: dict = field(default_factory=dict)
    app_proc: Proc | None = None
    app_port: int | None = None

    @property
    def snapshot_dir(self) -> Path:
        return self.run_dir / "snapshots"

    @property
    def site_snapshot_dir(self) -> Path:
        """The default page's snapshots: nginx's `root SNAPSHOT_DIR/$host` for SITE_URL's host."""
        return self.snapshot_dir / SITE_HOST

    @property
    def wrk_seconds(self) -> float:
        return float(os.environ.get("BENCH_WRK_SECONDS", 1 if self.smoke else 2 if self.quick else 10))

    def app_env(self, **extra: str) -> dict[str, str]:
        """The environment of every app process: production settings on the bench's services."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "DJANGO_SETTINGS"))}
        env.update(
            DATABASE_URL=DATABASE_URL,
            REDIS_URL=REDIS_URL,
            DEBUG="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            SECRET_KEY=self.secret_key,
            SITE_URL=f"http://{SITE_HOST}",
            LOG_LEVEL="WARNING",
            CELERY_QUEUE=QUEUE,
            SNAPSHOT_DIR=str(self.snapshot_dir),
            PYTHONPATH=str(ROOT),
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def log(self, message: str) -> None:
        elapsed = time.time() - self.started_at
        print(f"[{elapsed:6.1f}s] {message}", flush=True)

    def python(self, args: list[str], env: dict, timeout: float = 600) -> str:
        """Run `python -m ...` (or manage.py) in the app's environment; return its stdout."""
        done = subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"python {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return done.stdout

    def celery_worker(self, name: str, env: dict) -> Proc:
        """A Celery worker on the bench queue, started as the Procfile starts one (log level INFO)."""
        from statuspage.celery import app

        node = f"{name}@bench"
        argv = [
            str(VENV_BIN / "celery"),
            "-A",
            "statuspage",
            "worker",
            f"--loglevel={self.celery_loglevel}",
            "--pool=prefork",
            f"--concurrency={self.celery_concurrency}",
            "-Q",
            QUEUE,
            "-n",
            node,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        proc = Proc(name, argv, self.run_dir / f"{name}.log", env=env).start()
        deadline = time.monotonic() + 60
        while not app.control.ping(destination=[node], timeout=0.5):
            if proc.exited() or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not start:\n{proc.tail()}")
        return proc


def wait_for(predicate, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


__all__ = ["Bench", "Row", "wait_for", "wait_port", "DATABASE_URL", "REDIS_URL", "QUEUE"]
