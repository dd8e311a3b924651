"""Start a real Celery worker process against the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from statuspage.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def test_database_url() -> str:
    """The URL of the database pytest-django created, for another process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    def __init__(
        self, log_path: Path, env: dict[str, str], *, concurrency: int = 2, own_session: bool = False
    ):
        self.log_path = log_path
        self.env = env
        self.concurrency = concurrency
        # In its own session the worker and its pool children form one process group, so kill()
        # takes them all down at once, as a lost machine or the OOM killer would.
        self.own_session = own_session
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> Worker:
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        env = {
            **os.environ,
            "DATABASE_URL": test_database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
            "SECRET_KEY": settings.SECRET_KEY,
            **self.env,
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "statuspage",
                "worker",
                "--loglevel=INFO",
                f"--concurrency={self.concurrency}",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=self.own_session,
        )
        deadline = time.monotonic() + timeout
        while b" ready." not in self.log_path.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Celery worker did not start:\n" + self.log())
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL the worker (and, in its own session, its pool children): no cleanup, no acks."""
        if self.own_session:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.kill()
        self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def purge_queue() -> None:
    """Drop tasks left in the broker by earlier runs, so they cannot leak into this one."""
    celery_app.control.purge()


def wait_for(predicate, timeout: float = 30, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return predicate()


def unacked_tags() -> list[str]:
    """Tags of messages that a worker took (acks_late) and has not acknowledged, in the Redis broker."""
    with celery_app.connection_for_write() as conn:
        channel = conn.default_channel
        return [
            tag.decode() if isinstance(tag, bytes) else tag
            for tag in channel.client.hkeys(channel.unacked_key)
        ]


def restore_unacked(tags: list[str]) -> None:
    """Put those messages back on their queue now, as the broker does once its visibility timeout passes."""
    with celery_app.connection_for_write() as conn:
        for tag in tags:
            conn.default_channel.qos.restore_by_tag(tag)


def queued_messages() -> int:
    """Messages waiting in the default queue (not counting ones a worker holds)."""
    with celery_app.connection_for_write() as conn:
        return conn.default_channel.client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
