"""The loopback SMTP server and FakeTwilio from tests/fakes, each in a process of its own.

`python -m bench.fakes smtp|twilio` starts one of them, prints one JSON line with its
address, and serves a small control API until SIGTERM: GET /stats gives the message
count and first/last arrival times (time.time()), POST /reset zeroes them. Only the
first few messages are kept, so 100,000 deliveries don't fill the memory. The SMTP
server answers each DATA as the tests' one does, but skips parsing every message
into an EmailMessage (the tests' convenience for assertions, and, at ~4 ms a message,
the first bottleneck in a fan-out).
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

KEEP = 5


class ArrivalLog:
    """Stands in for the fakes' message lists: counts, arrival times, the first few items."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.count = 0
            self.first: float | None = None
            self.last: float | None = None
            self.kept: list = []

    def append(self, item) -> None:
        now = time.time()
        with self.lock:
            self.count += 1
            self.first = self.first or now
            self.last = now
            if len(self.kept) < KEEP:
                self.kept.append(item)

    def __iter__(self):
        with self.lock:
            return iter(list(self.kept))

    def __reversed__(self):
        # FakeTwilio answers a lookup from its list newest first; only the kept few can be found.
        with self.lock:
            return reversed(list(self.kept))

    def __len__(self) -> int:
        return self.count

    def stats(self) -> dict:
        with self.lock:
            return {"count": self.count, "first": self.first, "last": self.last}


class CountingHandler:
    """aiosmtpd handler: accept every message, note its arrival, keep the first few raw."""

    def __init__(self, log: ArrivalLog) -> None:
        self.messages = log

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd hook
        self.messages.append(envelope.original_content)
        return "250 OK"


def _start_smtp(log: ArrivalLog) -> tuple[dict, object]:
    from aiosmtpd.controller import Controller

    from tests.fakes.smtp_server import SmtpServer

    smtp = SmtpServer()
    smtp.collector = CountingHandler(log)
    smtp.controller = Controller(smtp.collector, hostname="127.0.0.1", port=smtp.port)
    smtp.start()
    return {"smtp_port": smtp.port}, smtp


def _start_twilio(log: ArrivalLog) -> tuple[dict, object]:
    from tests.fakes.twilio_server import FakeTwilio

    twilio = FakeTwilio(messages=log).start()
    # The fake's default listen backlog (5) drops bursts of new connections from several senders.
    twilio.server.socket.listen(512)
    info = {
        "twilio_url": twilio.base_url,
        "twilio_sid": twilio.account_sid,
        "twilio_token": twilio.auth_token,
    }
    return info, twilio


def serve(kind: str) -> None:
    log = ArrivalLog()
    info, server = {"smtp": _start_smtp, "twilio": _start_twilio}[kind](log)

    class Control(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802
            body = json.dumps(log.stats()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802
            log.reset()
            self.do_GET()

    control = ThreadingHTTPServer(("127.0.0.1", 0), Control)
    print(json.dumps({**info, "control_port": control.server_address[1]}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=control.serve_forever, daemon=True).start()
    stop.wait()
    control.shutdown()
    server.stop()


class FakesClient:
    """Both fakes: their addresses (info) and their arrival stats by channel."""

    def __init__(self, infos: dict[str, dict]):
        self.info = {k: v for info in infos.values() for k, v in info.items() if k != "control_port"}
        self.controls = {
            "email": f"http://127.0.0.1:{infos['smtp']['control_port']}",
            "sms": f"http://127.0.0.1:{infos['twilio']['control_port']}",
        }

    def _call(self, url: str, post: bool = False) -> dict:
        # Only ever the fakes' own loopback http:// address.
        method = "POST" if post else "GET"
        request = urllib.request.Request(url, data=b"" if post else None, method=method)  # noqa: S310
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return json.loads(response.read())

    def stats(self) -> dict:
        return {channel: self._call(base + "/stats") for channel, base in self.controls.items()}

    def reset(self) -> dict:
        return {channel: self._call(base + "/reset", post=True) for channel, base in self.controls.items()}


def start(bench) -> tuple[list, FakesClient]:
    """Start the two fake servers for a run; return ([Proc, Proc], FakesClient)."""
    from bench.procs import Proc

    started, infos = [], {}
    for kind in ("smtp", "twilio"):
        log = bench.run_dir / f"fake-{kind}.log"
        proc = Proc(
            f"fake-{kind}", [sys.executable, "-m", "bench.fakes", kind], log, env=bench.app_env()
        ).start()
        started.append(proc)
        deadline = time.monotonic() + 30
        while kind not in infos:
            lines = log.read_text().splitlines() if log.exists() else []
            found = [line for line in lines if line.startswith("{")]
            if found:
                infos[kind] = json.loads(found[0])
            elif proc.exited() or time.monotonic() > deadline:
                raise RuntimeError(f"fake {kind} server did not start:\n{proc.tail()}")
            else:
                time.sleep(0.05)
    return started, FakesClient(infos)


def worker_env(bench, client: FakesClient) -> dict:
    """A worker's environment: the app's, sending to the loopback SMTP server and FakeTwilio."""
    info = client.info
    return bench.app_env(
        DJANGO_SETTINGS_MODULE="statuspage.settings",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(info["smtp_port"]),
        DEFAULT_FROM_EMAIL="status@bench.test",
        SMS_BACKEND="notifications.providers.twilio_sms.TwilioBackend",
        TWILIO_ACCOUNT_SID=info["twilio_sid"],
        TWILIO_AUTH_TOKEN=info["twilio_token"],
        TWILIO_FROM_NUMBER="+15005550006",
        TWILIO_API_BASE_URL=info["twilio_url"],
        TWILIO_STATUS_CALLBACKS="false",
    )


if __name__ == "__main__":
    serve(sys.argv[1] if len(sys.argv) > 1 else "smtp")
