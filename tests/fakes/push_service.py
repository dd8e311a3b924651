"""A loopback Web Push service that does what a browser's push service and the browser do together.

`subscribe()` makes a browser's side of a subscription (a P-256 key pair and an auth secret, as
`pushManager.subscribe` does) with an endpoint here. A POST to an endpoint is checked as push
services check it (VAPID per RFC 8292: a `vapid t=<JWT>, k=<key>` Authorization header whose ES256
JWT verifies against `k`, `k` the expected application server key, `aud` this origin, `exp` in the
next 24 hours, `sub` a mailto: or https: URL; a TTL header; aes128gcm content), then decrypted
with the browser's private key (RFC 8291) as the browser would, and the JSON it holds is recorded.
Queued statuses (`fail_next`) answer before it accepts again; `expire()` makes an endpoint answer 410.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class BrowserSubscription:
    """What a browser keeps for one subscription: the endpoint and the keys to decrypt with."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    @property
    def token(self) -> str:
        return self.endpoint.rsplit("/", 1)[-1]

    def keys(self) -> dict[str, str]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {"p256dh": b64url(point), "auth": b64url(self.auth)}

    def to_json(self) -> dict:
        """What `subscription.toJSON()` gives the page's script."""
        return {"endpoint": self.endpoint, "expirationTime": None, "keys": self.keys()}


@dataclass
class Push:
    token: str
    headers: dict[str, str]
    message: dict


@dataclass
class PushService:
    vapid_public_key: str  # the application server key subscriptions were made with
    host: str = "127.0.0.1"
    port: int = 0
    subscriptions: dict[str, BrowserSubscription] = field(default_factory=dict)
    pushes: list[Push] = field(default_factory=list)  # decrypted and accepted
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (token, why)
    answered: list[tuple[str, int]] = field(default_factory=list)  # every request's (token, status)
    faults: list[int] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> PushService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's hook
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                status, why = service.take(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                if status == 201:
                    self.send_header("Location", f"{service.origin}/message/{secrets.token_hex(8)}")
                self.send_header("Content-Length", str(len(why.encode())))
                self.end_headers()
                self.wfile.write(why.encode())

        self.server = ThreadingHTTPServer((self.host, self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def subscribe(self) -> BrowserSubscription:
        subscription = BrowserSubscription(
            endpoint=f"{self.origin}/push/{secrets.token_urlsafe(24)}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
        )
        self.subscriptions[subscription.token] = subscription
        return subscription

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.faults.extend(statuses)

    def expire(self, subscription: BrowserSubscription) -> None:
        with self.lock:
            self.expired.add(subscription.token)

    def messages_for(self, subscription: BrowserSubscription) -> list[dict]:
        with self.lock:
            return [p.message for p in self.pushes if p.token == subscription.token]

    def take(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        token = path.rsplit("/", 1)[-1]
        status, why = self._check(token, {k.lower(): v for k, v in headers.items()}, body)
        with self.lock:
            self.answered.append((token, status))
            if status >= 400 and why:
                self.rejected.append((token, why))
        return status, why

    def _check(self, token: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        subscription = self.subscriptions.get(token)
        with self.lock:
            if subscription is None or token in self.expired:
                return 410, ""
            if self.faults:
                return self.faults.pop(0), ""
        if why := self._vapid_refusal(headers.get("authorization", "")):
            return 403, why
        if "ttl" not in headers or not headers["ttl"].isdigit():
            return 400, "TTL header missing"
        if headers.get("content-encoding") != "aes128gcm":
            return 400, f"content-encoding {headers.get('content-encoding')!r}"
        if len(body) > 4096:
            return 413, "payload too large"
        try:
            plain = http_ece.decrypt(
                body, private_key=subscription.private_key, auth_secret=subscription.auth, version="aes128gcm"
            )
            message = json.loads(plain)
        except Exception as exc:  # noqa: BLE001 - whatever fails, the browser could not read it
            return 400, f"undecryptable: {type(exc).__name__}: {exc}"
        with self.lock:
            self.pushes.append(Push(token, headers, message))
        return 201, ""

    def _vapid_refusal(self, authorization: str) -> str:
        """Why the VAPID header is refused ("" if it is good)."""
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            return f"not a vapid Authorization: {authorization[:20]!r}"
        fields = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
        if fields.get("k") != self.vapid_public_key.rstrip("="):
            return "k is not the key this subscription was made with"
        try:
            head, claims, signature = fields["t"].split(".")
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(fields["k"]))
            raw = unb64url(signature)
            if len(raw) != 64:
                return "ES256 signature is not 64 bytes"
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
            public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
            header, payload = json.loads(unb64url(head)), json.loads(unb64url(claims))
        except (KeyError, ValueError, InvalidSignature) as exc:
            return f"bad JWT: {type(exc).__name__}"
        now = time.time()
        if header.get("alg") != "ES256":
            return f"alg {header.get('alg')!r}"
        if payload.get("aud") != self.origin:
            return f"aud {payload.get('aud')!r} is not {self.origin}"
        if not now < int(payload.get("exp", 0)) <= now + 24 * 3600:
            return "exp not within 24 hours"
        if not str(payload.get("sub", "")).startswith(("mailto:", "https:")):
            return f"sub {payload.get('sub')!r}"
        return ""
