"""Run wrk (bounded by -d and a subprocess timeout) and parse what it prints."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.procs import ensure_tool

LUA_DIR = Path(__file__).resolve().parent / "lua"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass
class WrkResult:
    url: str
    connections: int
    duration_s: float
    requests: int = 0
    rps: float = 0.0
    p50_ms: float | None = None
    p75_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    non_2xx_3xx: int = 0
    socket_errors: dict = field(default_factory=dict)
    script: dict = field(default_factory=dict)  # what a Lua done() hook reported
    raw: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("raw")
        return data

    @property
    def errors(self) -> int:
        return sum(self.socket_errors.values())


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unparsable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str, url: str, connections: int, duration_s: float) -> WrkResult:
    result = WrkResult(url=url, connections=connections, duration_s=duration_s, raw=output)
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", output, re.M)
        if match:
            setattr(result, f"p{pct}_ms", _ms(match.group(1)))
    match = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    if match:
        result.requests = int(match.group(1))
        result.duration_s = _ms(match.group(2) + match.group(3)) / 1000
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if match:
        result.rps = float(match.group(1))
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if match:
        result.non_2xx_3xx = int(match.group(1))
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if match:
        result.socket_errors = dict(
            zip(("connect", "read", "write", "timeout"), map(int, match.groups()), strict=True)
        )
    for line in output.splitlines():
        if line.startswith("BENCH_JSON "):
            result.script.update(json.loads(line.removeprefix("BENCH_JSON ")))
    return result


def run(
    url: str,
    *,
    connections: int,
    duration: float,
    threads: int = 2,
    script: str | None = None,
    script_args: list[str] | None = None,
    timeout: str = "10s",
    headers: list[str] | None = None,
) -> WrkResult:
    binary = ensure_tool("wrk", "wrk")
    argv = [
        binary,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{int(round(duration))}s",
        "--latency",
        f"--timeout={timeout}",
    ]
    for header in headers or []:
        argv += ["-H", header]
    if script:
        argv += ["-s", str(LUA_DIR / script)]
    argv.append(url)
    if script_args:
        argv += ["--", *script_args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60)
    if done.returncode != 0 or "requests in" not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    return parse(done.stdout, url, connections, duration)
