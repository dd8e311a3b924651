"""P2, in-process: render "/" with Django's test Client, caches off, and print the timings as JSON.

Run as `python -m bench.render_timing N` with DJANGO_SETTINGS_MODULE=bench.settings and
BENCH_UNCACHED=1 (bench/run.py does this).
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def main(renders: int) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")  # production ALLOWED_HOSTS has no "testserver"
    for _ in range(3):  # warm template loading, URL resolving and the connection
        assert client.get("/").status_code == 200
    queries = []  # counted by a wrapper: the request_started signal empties connection.queries

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get("/")
    timings, cpu = [], []
    for _ in range(renders):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get("/")
        timings.append((time.perf_counter() - started) * 1000)
        # This process's CPU only: what other work on a shared machine does not inflate.
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    timings.sort()
    return {
        "renders": renders,
        "median_ms": statistics.median(timings),
        "median_cpu_ms": statistics.median(cpu),
        "p90_ms": timings[int(0.9 * (len(timings) - 1))],
        "min_ms": timings[0],
        "queries": len(queries),
        "bytes": len(response.content),
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 30)))
