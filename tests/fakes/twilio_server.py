"""A loopback HTTP server that speaks enough of Twilio's Messages API for the real client."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MESSAGES_PATH = "/2010-04-01/Accounts/{sid}/Messages.json"


@dataclass
class FakeTwilio:
    account_sid: str = "AC" + "0" * 32
    auth_token: str = "test-auth-token"
    messages: list[dict] = field(default_factory=list)
    # Queued (http_status, twilio_code) answers to give before accepting again.
    failures: list[tuple[int, int | None]] = field(default_factory=list)
    # Queued stalls (seconds): such a request is held that long, then dropped unanswered and unrecorded,
    # like a provider that hangs before it takes the message. Used before `failures`.
    stalls: list[float] = field(default_factory=list)
    # Queued stalls after taking the message: it is recorded (and will be delivered), but the answer
    # never comes, like a connection lost on the way back. Used before `stalls`.
    lost_answers: list[float] = field(default_factory=list)
    # Seconds every request takes before it is answered (and, unless it fails, accepted).
    latency: float = 0.0
    # Every authenticated send, answered or not; every read of the Message list.
    requests: int = 0
    lookups: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeTwilio:
        fake = self
        counter = itertools.count(1)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _authorised(self) -> bool:
                expected = (
                    "Basic " + base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                )
                if self.headers.get("Authorization") != expected:
                    self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                    return False
                if urlsplit(self.path).path != fake.messages_path:
                    self._json(404, {"code": 20404, "message": "Not found", "status": 404})
                    return False
                return True

            def do_GET(self) -> None:  # noqa: N802 - http.server's hook
                """Read the Message list: filtered by To and From, newest first, one page."""
                if not self._authorised():
                    return
                query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                size = min(int(query.get("PageSize", 50)), 1000)
                with fake.lock:
                    fake.lookups += 1
                    found = [
                        m
                        for m in reversed(fake.messages)
                        if all(query.get(key, m.get(key)) == m.get(key) for key in ("To", "From"))
                    ][:size]
                self._json(
                    200,
                    {
                        "messages": [fake.resource(m) for m in found],
                        "first_page_uri": self.path,
                        "next_page_uri": None,
                        "previous_page_uri": None,
                        "page": 0,
                        "page_size": size,
                        "start": 0,
                        "end": max(0, len(found) - 1),
                        "uri": self.path,
                    },
                )

            def do_POST(self) -> None:  # noqa: N802 - http.server's hook
                if not self._authorised():
                    return
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake.lock:
                    fake.requests += 1
                    taken, pause = (True, fake.lost_answers.pop(0)) if fake.lost_answers else (False, None)
                    if pause is None and fake.stalls:
                        pause = fake.stalls.pop(0)
                if taken:
                    fake.take(form, counter)
                if pause is not None:
                    time.sleep(pause)
                    self.close_connection = True
                    return None
                if fake.latency:
                    time.sleep(fake.latency)
                with fake.lock:
                    if fake.failures:
                        status, code = fake.failures.pop(0)
                        return self._json(status, {"code": code, "message": "fake failure", "status": status})
                self._json(201, fake.resource(fake.take(form, counter)))

            def _json(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout, a killed worker)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def messages_path(self) -> str:
        return MESSAGES_PATH.format(sid=self.account_sid)

    def take(self, form: dict, counter) -> dict:
        """Record a message as accepted."""
        with self.lock:
            # Plain UTC, not django.utils.timezone: the bench runs this fake in a process without settings.
            message = {"sid": f"SM{next(counter):032x}", "date_created": datetime.now(UTC), **form}
            self.messages.append(message)
        return message

    def resource(self, message: dict) -> dict:
        """A message as Twilio's API returns it."""
        return {
            "sid": message["sid"],
            "account_sid": self.account_sid,
            "to": message.get("To"),
            "from": message.get("From"),
            "body": message.get("Body"),
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "date_created": format_datetime(message["date_created"], usegmt=True),
            "uri": self.messages_path.replace(".json", f"/{message['sid']}.json"),
        }

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self) -> list[str]:
        with self.lock:
            return [m.get("Body", "") for m in self.messages]
