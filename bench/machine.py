"""How busy the machine was with work that is not the bench's own (other test runs, builds ...).

Every second, the CPU time used by processes that the bench did not start, and by PostgreSQL
backends serving other databases, is added up; each phase reports the average in cores.
"""

from __future__ import annotations

import os
import threading

import psutil

OURS_IN_POSTGRES = ("bench_statuspage", "bench_faults")
SHARED_SERVERS = ("postgres", "redis-server")


class ForeignLoad(threading.Thread):
    def __init__(self, interval: float = 1.0):
        super().__init__(daemon=True)
        self.interval = interval
        self.me = psutil.Process(os.getpid())
        self.last: dict[int, float] = {}
        self.busy_seconds = 0.0
        self.elapsed = 0.0
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def _foreign(self, proc: psutil.Process, ours: set[int]) -> bool:
        if proc.pid in ours or proc.pid == 0:
            return False
        name = proc.info["name"] or ""
        if name in SHARED_SERVERS or name.startswith("postgres"):
            # A backend names its database: "postgres: 15/main: postgres <db> 127.0.0.1(...)".
            cmdline = " ".join(proc.info["cmdline"] or [])
            return " 127.0.0.1(" in cmdline and not any(db in cmdline for db in OURS_IN_POSTGRES)
        return True

    def sample(self) -> float:
        ours = {self.me.pid, *(c.pid for c in self.me.children(recursive=True))}
        total, seen = 0.0, {}
        for proc in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            try:
                times = proc.info["cpu_times"]
                if times is None or not self._foreign(proc, ours):
                    continue
                used = times.user + times.system
                seen[proc.pid] = used
                total += max(0.0, used - self.last.get(proc.pid, used))
            except (psutil.Error, TypeError):
                continue
        self.last = seen
        return total

    def run(self) -> None:
        self.sample()
        while not self.stopping.wait(self.interval):
            busy = self.sample()
            with self.lock:
                self.busy_seconds += busy
                self.elapsed += self.interval

    def take(self) -> float | None:
        """Average cores used by foreign work since the last take()."""
        with self.lock:
            cores = self.busy_seconds / self.elapsed if self.elapsed else None
            self.busy_seconds = self.elapsed = 0.0
        return cores

    def stop(self) -> None:
        self.stopping.set()
