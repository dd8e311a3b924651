"""Active checks: run one, return an outcome. Pure: no ORM writes."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import requests

from incidents.models import Probe, ProbeKind, parse_statuses

MAX_BODY_BYTES = 1024 * 1024
USER_AGENT = "statuspage-probe/1.0"


@dataclass(frozen=True)
class CheckOutcome:
    ok: bool
    latency_ms: float | None
    message: str


def run_check(probe: Probe) -> CheckOutcome:
    if probe.kind == ProbeKind.HTTP:
        return check_http(
            probe.url, probe.method, probe.expected_statuses, probe.keyword, probe.timeout_seconds
        )
    if probe.kind == ProbeKind.TCP:
        return check_tcp(probe.host, probe.port or 0, probe.timeout_seconds)
    if probe.kind == ProbeKind.DNS:
        return check_dns(probe.host, probe.timeout_seconds)
    raise ValueError(f"{probe.kind} probes are not run actively")


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def check_http(url: str, method: str, expected: str, keyword: str, timeout: float) -> CheckOutcome:
    try:
        accepted = parse_statuses(expected)
    except ValueError as exc:
        return CheckOutcome(False, None, f"misconfigured probe: expected statuses {expected!r}: {exc}")
    started = time.perf_counter()
    try:
        with requests.request(
            method,
            url,
            timeout=timeout,
            stream=True,
            allow_redirects=True,
            headers={"User-Agent": USER_AGENT},
        ) as response:
            body = response.raw.read(MAX_BODY_BYTES, decode_content=True) if keyword else b""
            latency = _elapsed_ms(started)
            status = response.status_code
    except requests.RequestException as exc:
        return CheckOutcome(False, None, f"{type(exc).__name__}: {exc}"[:1000])
    if not any(low <= status <= high for low, high in accepted):
        return CheckOutcome(False, latency, f"HTTP {status}, expected {expected}")
    if keyword and keyword.encode() not in body:
        return CheckOutcome(False, latency, f"HTTP {status}, keyword {keyword!r} not found")
    return CheckOutcome(True, latency, f"HTTP {status}")


def check_tcp(host: str, port: int, timeout: float) -> CheckOutcome:
    started = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return CheckOutcome(True, _elapsed_ms(started), f"connected to {host}:{port}")
    except OSError as exc:
        return CheckOutcome(False, None, f"connect to {host}:{port} failed: {exc}"[:1000])


def check_dns(name: str, timeout: float) -> CheckOutcome:
    """Resolve with the system resolver; getaddrinfo has no timeout, so it runs in its own thread."""
    started = time.perf_counter()
    box: dict = {}

    def resolve() -> None:
        try:
            box["answers"] = socket.getaddrinfo(name, None)
        except OSError as exc:
            box["error"] = exc

    # A fresh daemon thread per lookup: a hung lookup cannot starve the next ones.
    thread = threading.Thread(target=resolve, daemon=True, name="dns-probe")
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return CheckOutcome(False, None, f"resolving {name} timed out after {timeout}s")
    if "error" in box:
        return CheckOutcome(False, None, f"resolving {name} failed: {box['error']}"[:1000])
    answers = box["answers"]
    addresses = sorted({a[4][0] for a in answers})
    return CheckOutcome(True, _elapsed_ms(started), "resolved to " + ", ".join(addresses[:5]))
