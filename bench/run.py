"""`make bench`: measure the status page side by side on this machine; print a table, write JSON.

    python -m bench.run [--quick | --smoke] [--only p1,p2,p3,p4,p5,faults]

BENCH_QUICK=1 is the same as --quick (shorter wrk runs, 10,000 subscribers only).
BENCH_SMOKE=1 is the same as --smoke: every phase at tiny counts with 1 s wrk runs, to
show that each still works (its figures mean nothing; its JSON stays in the run's folder).
Every figure printed comes from this run; see README.md, "Benchmarks". The exit status
is 1 when a phase failed: an exception, or a check in bench/checks.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench import checks, dataset, procs, report
from bench.context import DATABASE_URL, REDIS_URL, Bench, Row

PHASES = ("p2", "p1", "p4", "p5", "p3", "faults")
RESULTS = Path(__file__).resolve().parent / "results"


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=procs.ROOT, capture_output=True, text=True)
    return done.stdout.strip()


def meta(bench: Bench, only: list[str]) -> dict:
    """What was measured, read when the run starts (the work tree may move on during it)."""
    return {
        "started": datetime.fromtimestamp(bench.started_at, UTC).isoformat(),
        "quick": bench.quick,
        "smoke": bench.smoke,
        "phases": only,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_subject": _git("log", "-1", "--format=%s"),
        "git_modified_files": _git("status", "--porcelain", "--untracked-files=no").splitlines(),
        "snapshot_commits": _git("log", "--oneline", "-i", "--grep=snapshot").splitlines(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "wrk": _version(["wrk", "--version"]),
            "nginx": _version(["nginx", "-v"]),
        },
        "database": DATABASE_URL.split("@")[-1],
        "redis": REDIS_URL,
        "wrk_seconds": bench.wrk_seconds,
        "run_dir": str(bench.run_dir),
    }


def _version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except OSError:
        return ""
    return (done.stdout + done.stderr).strip().splitlines()[0] if (done.stdout + done.stderr).strip() else ""


def setup(bench: Bench) -> dict:
    import redis

    bench.log(
        f"setup: database {DATABASE_URL.rsplit('/', 1)[1]} (drop + create), Redis {REDIS_URL} (FLUSHDB)"
    )
    redis.Redis.from_url(REDIS_URL).flushdb()
    dataset.recreate_database(DATABASE_URL)
    bench.python(["manage.py", "migrate", "--no-input", "-v", "0"], bench.app_env())
    import django

    django.setup()
    data = dataset.seed_base()
    bench.incident_id = data["incident_id"]
    from bench.p2_history import result_step_minutes

    data["history"] = dataset.add_history(0, 1, result_step_minutes(bench))
    bench.log(f"setup: {data}")
    return data


def ensure_app(bench: Bench) -> None:
    if bench.app_port:
        return
    from bench import p1_pages

    bench.log("starting gunicorn (P1 did not run)")
    bench.app_proc, bench.app_port = p1_pages.start_app(bench, "gunicorn")


def brief(exc: Exception) -> str:
    """Say an exception in one line: its first and, for a child's traceback, its last."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()] or [""]
    text = lines[0] if len(lines) == 1 else f"{lines[0]} ... {lines[-1]}"
    return f"{type(exc).__name__}: {text}"[:300]


def run_phases(bench: Bench, only: list[str]) -> None:
    from bench import fakes, faults, p1_pages, p2_history, p3_fanout, p4_ingest, p5_notify
    from bench.machine import ForeignLoad

    foreign = ForeignLoad()
    foreign.start()
    foreign_total = 0.0

    fakes_proc = fakes_client = None

    def need_fakes():
        nonlocal fakes_proc, fakes_client
        if fakes_client is None:
            fakes_proc, fakes_client = fakes.start(bench)
        return fakes_client

    steps = {
        "p2": lambda: p2_history.run(bench),
        "p1": lambda: p1_pages.run(bench),
        "p4": lambda: (ensure_app(bench), p4_ingest.run(bench))[1],
        "p5": lambda: (ensure_app(bench), p5_notify.run(bench, need_fakes()))[1],
        "p3": lambda: p3_fanout.run(bench, need_fakes()),
        "faults": lambda: faults.run(bench),
    }
    if "p1" in only and "p2" not in only:
        bench.log("setup: adding 364 more days of history (P2 is not run)")
        bench.results["history"] = dataset.add_history(1, 365, p2_history.result_step_minutes(bench))
    for name in PHASES:
        if name not in only:
            continue
        if name == "p3" and bench.app_proc:
            bench.app_proc.stop()  # P3 measures the workers; an idle web server only takes memory
            bench.app_port = None
        started, rows_before = time.monotonic(), len(bench.rows)
        try:
            bench.results[name] = steps[name]()
            problems = checks.problems(name, bench.results[name], bench.rows[rows_before:], bench.smoke)
        except Exception as exc:  # noqa: BLE001 - one broken phase must not lose the others' figures
            traceback.print_exc()
            bench.results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            problems = [brief(exc)]
        if problems:
            bench.failures[name] = problems
            bench.results[name]["problems"] = problems
            bench.log(f"{name} FAILED: {'; '.join(problems)}")
            bench.add(Row(f"{name.upper()} failed", None, comparison=problems[0][:100], met=False))
        seconds = time.monotonic() - started
        cores = foreign.take()
        foreign_total += (cores or 0.0) * seconds
        bench.results.setdefault(name, {})
        if isinstance(bench.results[name], dict):
            bench.results[name]["phase_seconds"] = round(seconds, 1)
            bench.results[name]["foreign_cpu_cores"] = cores
        busy = f"; other work on the machine used {cores:.2f} cores meanwhile" if cores is not None else ""
        bench.log(f"{name} took {seconds:.0f} s{busy}")
    foreign.stop()
    for proc in fakes_proc or []:
        proc.stop()
    elapsed = time.time() - bench.started_at
    bench.add(
        Row(
            "Machine: CPU used by other work during the phases",
            foreign_total / elapsed if elapsed else None,
            "cores",
            f"of {os.cpu_count()}; per phase in the JSON (foreign_cpu_cores)",
        )
    )


def write(bench: Bench, only: list[str]) -> Path:
    """Write the run's JSON: a smoke run's in its run folder, beside the logs, never over real results."""
    stamp = datetime.fromtimestamp(bench.started_at, UTC).strftime("%Y%m%dT%H%M%SZ")
    document = {
        "meta": {**bench.meta, "seconds": round(time.time() - bench.started_at, 1)},
        "table": [report.row_dict(r) for r in bench.rows],
        "results": bench.results,
        "notes": bench.notes,
    }
    text = json.dumps(document, indent=2, default=str)
    if bench.smoke:
        path = bench.run_dir / "results.json"
        path.write_text(text)
        return path
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{stamp}.json"
    path.write_text(text)
    (RESULTS / "latest.json").write_text(text)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in ("", "0")
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        default=os.environ.get("BENCH_SMOKE", "") not in ("", "0"),
        help="every phase at tiny counts: does each still work? (figures mean nothing)",
    )
    parser.add_argument(
        "--only", default=",".join(PHASES), help="comma-separated phases: " + ",".join(PHASES)
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="leave the bench_statuspage database for inspection"
    )
    args = parser.parse_args(argv)
    only = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(only) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = procs.ROOT / ".run" / "bench" / stamp
    bench = Bench(quick=args.quick or args.smoke, smoke=args.smoke, run_dir=run_dir)
    bench.run_dir.mkdir(parents=True, exist_ok=True)
    bench.meta = meta(bench, only)
    os.environ.update(bench.app_env(DJANGO_SETTINGS_MODULE="bench.settings"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    procs.ensure_tool("wrk", "wrk")
    procs.ensure_tool("nginx", "nginx")
    mode = "(smoke) " if bench.smoke else "(quick) " if bench.quick else ""
    bench.log(f"bench {mode}phases {','.join(only)}; logs in {bench.run_dir}")
    try:
        bench.results["setup"] = setup(bench)
        run_phases(bench, only)
    finally:
        procs.stop_all()
        if not args.keep_db:
            try:
                from django.db import connections

                connections.close_all()
            except Exception as exc:  # noqa: BLE001 - Django may not be set up yet
                print(f"  (closing connections: {exc})")
            dataset.drop_database(DATABASE_URL)
    path = write(bench, only)
    print()
    if bench.smoke:
        print("SMOKE RUN: tiny counts and 1 s load runs; the figures below mean nothing, only that")
        print("every phase ran and measured something.\n")
    print(report.table(bench.rows))
    also = "" if bench.smoke else " and bench/results/latest.json"
    print(f"\nwritten: {path.relative_to(procs.ROOT)}{also} ({time.time() - bench.started_at:.0f} s)")
    sys.stdout.flush()  # the table first, then what failed
    for name, problems in bench.failures.items():
        print(f"bench: phase {name} FAILED: {'; '.join(problems)}", file=sys.stderr)
    if bench.smoke and not bench.failures:
        print(f"bench smoke: every phase ran and measured ({', '.join(only)})")
    return 1 if bench.failures else 0


if __name__ == "__main__":
    sys.exit(main())
