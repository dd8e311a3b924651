"""A loopback HTTP server that receives webhooks the way subscribers' servers and chat apps do.

`/hook/...` checks the Statuspage-style signature with `secret` and records each delivery;
`/slack/...`, `/discord/...` and `/teams/...` check the body each app's incoming webhooks require and
answer as each does (Slack 200 "ok", Discord 204, Teams 200 "1"). Queued faults (a status, a delay,
a redirect, a huge body) answer the next requests before it accepts again.
"""

from __future__ import annotations

import datetime
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from notifications.delivery.webhook_payload import DELIVERY_HEADER, SIGNATURE_HEADER, verify

# How each chat app answers a message it took.
CHAT_ACCEPTED = {"slack": (200, b"ok"), "discord": (204, b""), "teams": (200, b"1")}


@dataclass
class Fault:
    """One queued answer: `status` (with `location` for a redirect) and `headers`, after `delay`
    seconds, with `body_size` bytes of body sent one byte every `drip` seconds if set.
    A faulted request is recorded in `faulted`, not in `deliveries`."""

    status: int = 503
    delay: float = 0.0
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body_size: int = 0
    drip: float = 0.0


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes
    payload: dict | None
    signature_ok: bool


@dataclass
class WebhookReceiver:
    secret: str = "whsec-test-secret"
    host: str = "127.0.0.1"
    port: int = 0
    tls: ssl.SSLContext | None = None  # serve HTTPS with this context
    server_names: list[str | None] = field(default_factory=list)  # SNI of each TLS handshake
    deliveries: list[Delivery] = field(default_factory=list)  # signed webhooks accepted
    chat: dict[str, list[dict]] = field(default_factory=lambda: {"slack": [], "discord": [], "teams": []})
    faulted: list[Delivery] = field(default_factory=list)
    rejected: list[Delivery] = field(default_factory=list)  # bad signature or a body the app refuses
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's hook
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.answer(self, body)

            def do_GET(self) -> None:  # noqa: N802
                self.send_error(405)

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        if self.tls is not None:
            self.tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.server.server_address[1]}"

    @property
    def bound_port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook/endpoint") -> str:
        return self.base_url + path

    def fail_next(self, count: int = 1, **fault) -> None:
        """Answer the next `count` requests with Fault(**fault), e.g. status=302, location=..."""
        with self.lock:
            self.faults.extend(Fault(**fault) for _ in range(count))

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        headers = dict(handler.headers.items())
        with self.lock:
            fault = self.faults.pop(0) if self.faults else None
        app = handler.path.strip("/").split("/")[0]
        delivery = Delivery(handler.path, headers, body, _json(body), self._signed(headers, body))
        if fault is not None:
            with self.lock:
                self.faulted.append(delivery)
            return self._fault(handler, fault)
        if app in CHAT_ACCEPTED:
            problem = _chat_problem(app, delivery.payload)
            if problem:
                with self.lock:
                    self.rejected.append(delivery)
                return _send(handler, 400, problem.encode())
            with self.lock:
                self.chat[app].append(delivery.payload)
            return _send(handler, *CHAT_ACCEPTED[app])
        if not delivery.signature_ok or delivery.payload is None:
            with self.lock:
                self.rejected.append(delivery)
            return _send(handler, 401, b"bad signature")
        with self.lock:
            self.deliveries.append(delivery)
        _send(handler, 200, b"thanks")

    def _signed(self, headers: dict[str, str], body: bytes) -> bool:
        return verify(self.secret, _header(headers, SIGNATURE_HEADER) or "", body)

    def _fault(self, handler: BaseHTTPRequestHandler, fault: Fault) -> None:
        if fault.delay:
            time.sleep(fault.delay)
        extra = {**fault.headers, **({"Location": fault.location} if fault.location else {})}
        _send(handler, fault.status, b"x" * fault.body_size, extra, drip=fault.drip)

    def payloads(self) -> list[dict]:
        with self.lock:
            return [d.payload for d in self.deliveries]

    def delivery_ids(self) -> list[str]:
        """Distinct X-Statuspage-Delivery ids of accepted deliveries, in order of first arrival."""
        with self.lock:
            ids = [_header(d.headers, DELIVERY_HEADER) for d in self.deliveries]
        return list(dict.fromkeys(i for i in ids if i))

    def duplicates(self) -> int:
        """Accepted deliveries that repeat an id already received (a receiver would drop them)."""
        with self.lock:
            return len(self.deliveries) - len({_header(d.headers, DELIVERY_HEADER) for d in self.deliveries})


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _json(body: bytes) -> dict | None:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _chat_problem(app: str, payload: dict | None) -> str:
    """What the app would refuse this body for ("" if it takes it), in the app's own words."""
    if payload is None:
        return "invalid_payload"
    if app == "slack":
        # Slack also takes a message of legacy attachments with text and no top-level text (Apprise's).
        attached = any(isinstance(a, dict) and a.get("text") for a in payload.get("attachments") or [])
        return "" if payload.get("text") or payload.get("blocks") or attached else "no_text"
    if app == "discord":
        return "" if payload.get("content") or payload.get("embeds") else "Cannot send an empty message"
    attachments = payload.get("attachments") or []
    adaptive = [
        a
        for a in attachments
        if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        and (a.get("content") or {}).get("type") == "AdaptiveCard"
    ]
    card = payload.get("@type") == "MessageCard" and (payload.get("text") or payload.get("sections"))
    return "" if (payload.get("type") == "message" and adaptive) or card else "Bad payload"


def _send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict | None = None, drip: float = 0
) -> None:
    try:
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if status != 204:
            handler.send_header("Content-Type", "text/plain; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if status != 204 and drip:
            for byte in body:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(drip)
        elif status != 204:
            handler.wfile.write(body)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the sender gave up (its timeout)


def tls_for(name: str, tmp_path) -> tuple[str, ssl.SSLContext]:
    """A throwaway CA and a certificate for `name` signed by it; returns the CA file and a server context."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder(subject_name=ca_name, issuer_name=ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(*[False] * 5, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder(
            subject_name=x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]), issuer_name=ca_name
        )
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(pem))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (tmp_path / "leaf.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    return str(tmp_path / "ca.pem"), context
