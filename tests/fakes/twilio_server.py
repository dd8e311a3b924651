"""A loopback HTTP server that speaks enough of Twilio's Messages API for the real client."""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

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
    # Seconds every request takes before it is answered (and, unless it fails, accepted).
    latency: float = 0.0
    # Every authenticated Messages request, answered or not.
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeTwilio:
        fake = self
        counter = itertools.count(1)

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                expected = (
                    "Basic " + base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
                )
                if self.headers.get("Authorization") != expected:
                    return self._json(401, {"code": 20003, "message": "Authenticate", "status": 401})
                if self.path != MESSAGES_PATH.format(sid=fake.account_sid):
                    return self._json(404, {"code": 20404, "message": "Not found", "status": 404})
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake.lock:
                    fake.requests += 1
                    stall = fake.stalls.pop(0) if fake.stalls else None
                if stall is not None:
                    time.sleep(stall)
                    self.close_connection = True
                    return None
                if fake.latency:
                    time.sleep(fake.latency)
                with fake.lock:
                    if fake.failures:
                        status, code = fake.failures.pop(0)
                        return self._json(status, {"code": code, "message": "fake failure", "status": status})
                    sid = f"SM{next(counter):032x}"
                    fake.messages.append({"sid": sid, **form})
                self._json(
                    201,
                    {
                        "sid": sid,
                        "account_sid": fake.account_sid,
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "body": form.get("Body"),
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "uri": MESSAGES_PATH.format(sid=fake.account_sid).replace(".json", f"/{sid}.json"),
                    },
                )

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
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def bodies(self) -> list[str]:
        with self.lock:
            return [m.get("Body", "") for m in self.messages]
