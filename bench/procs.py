"""Processes the bench starts (gunicorn, nginx, Celery) and stops again, by pid."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent

_started: list[Proc] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_port(port: int, timeout: float = 30, proc: Proc | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not port_open(port):
        if proc is not None and proc.exited():
            raise RuntimeError(f"{proc.name} exited before listening on {port}:\n{proc.tail()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")
        time.sleep(0.05)


def http_get(url: str, timeout: float = 30, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - the bench's loopback servers
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def settle(port: int, path: str = "/__bench/hello", max_seconds: float = 60) -> float:
    """Wait until a server has worked off the backlog a load run left behind; return the seconds waited.

    wrk stops at its deadline, but requests already queued in gunicorn are still served: a
    request answered quickly means the queue is empty and the next run starts clean.
    """
    started = time.monotonic()
    while time.monotonic() - started < max_seconds:
        asked = time.monotonic()
        try:
            http_get(f"http://127.0.0.1:{port}{path}", timeout=max_seconds)
        except OSError:
            pass
        if time.monotonic() - asked < 0.05:
            break
        time.sleep(0.2)
    return time.monotonic() - started


def ensure_tool(binary: str, package: str) -> str:
    """Return the binary's path, installing its Debian package if it is missing."""
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin:/sbin")
    if found:
        return found
    print(f"  installing {package} (apt-get) for {binary} ...", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*sudo, "apt-get", "install", "-y", "-qq", package]
    if subprocess.call(install, env=env, stdout=subprocess.DEVNULL) != 0:
        subprocess.check_call([*sudo, "apt-get", "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
        subprocess.check_call(install, env=env, stdout=subprocess.DEVNULL)
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin:/sbin")
    if not found:
        raise RuntimeError(f"{package} installed but {binary} not found")
    return found


class Proc:
    """A child in its own process group, logging to a file; stop() ends that group only."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict | None = None, cwd: Path = ROOT):
        self.name, self.argv, self.log_path, self.env, self.cwd = name, argv, log, env, cwd
        self.popen: subprocess.Popen | None = None

    def start(self) -> Proc:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - lives as long as the process
        self.popen = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        _started.append(self)
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    def exited(self) -> bool:
        return self.popen is None or self.popen.poll() is not None

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def signal_group(self, sig: int) -> None:
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass

    def stop(self, timeout: float = 20, sig: int = signal.SIGTERM) -> None:
        """Ask the main process to stop (it stops its own children), then end what is left of the group."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.signal_group(signal.SIGKILL)
                self.popen.wait(timeout=10)
        # Children left behind in the group (e.g. prefork pool processes).
        self.signal_group(signal.SIGKILL)
        if self in _started:
            _started.remove(self)


def stop_all() -> None:
    for proc in reversed(list(_started)):
        try:
            proc.stop(timeout=10)
        except Exception as exc:  # noqa: BLE001 - keep stopping the others
            print(f"  could not stop {proc.name}: {exc}", file=sys.stderr)


# --- gunicorn


def gunicorn(
    name: str,
    port: int,
    env: dict,
    log: Path,
    *,
    worker_class: str = "gthread",
    workers: int = 2,
    threads: int = 4,
) -> Proc:
    argv = [
        str(VENV_BIN / "gunicorn"),
        "bench.wsgi_hello:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    if worker_class == "gthread":
        argv += ["--threads", str(threads)]
    proc = Proc(name, argv, log, env=env).start()
    wait_port(port, timeout=60, proc=proc)
    return proc


# --- nginx


def nginx(run_dir: Path, servers: str, log_name: str = "nginx") -> Proc:
    """nginx in the foreground with its own prefix; `servers` is the http{} body's server blocks."""
    binary = ensure_tool("nginx", "nginx")
    prefix = run_dir / log_name
    for sub in ("temp/body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi", "logs"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = f"""
{user}
worker_processes 2;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 65;
    types {{ text/html html; application/json json; text/plain txt; }}
    default_type application/octet-stream;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
{servers}
}}
"""
    conf_path = prefix / "nginx.conf"
    conf_path.write_text(conf)
    check = subprocess.run(
        [binary, "-t", "-p", str(prefix), "-c", str(conf_path)], capture_output=True, text=True
    )
    if check.returncode != 0:
        raise RuntimeError(f"nginx config rejected:\n{check.stderr}\n{conf}")
    return Proc(
        log_name, [binary, "-p", str(prefix), "-c", str(conf_path)], prefix / "logs" / "stdout.log"
    ).start()
