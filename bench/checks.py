"""Whether a phase that ran without an exception still failed.

Any run fails a phase that measured nothing: no table row, a wrk run without requests,
nothing at the fake servers. A smoke run, whose figures mean nothing, also fails a phase
with a figure missing or a wrong answer: non-2xx on P1's pages, P4 results lost or not
201, P3 messages not all delivered, non-2xx or no answer on "/" with Redis or PostgreSQL
stopped (the fault targets). Missed performance targets fail no phase in either run.
"""

from __future__ import annotations

from collections.abc import Iterator

from bench.context import Row


def _wrk_runs(data: object, label: str = "") -> Iterator[tuple[str, dict]]:
    """Yield (label, result) for every wrk result in a phase's data."""
    if not isinstance(data, dict):
        return
    if "requests" in data and "connections" in data:
        yield label, data
        return
    for key, value in data.items():
        yield from _wrk_runs(value, f"{label} {key}".strip())


def _nothing_measured(name: str, data: dict, rows: list[Row]) -> list[str]:
    """List the signs that a phase measured nothing."""
    found = [] if rows else ["no figure in the table"]
    found += [f"wrk {label}: no requests" for label, run in _wrk_runs(data) if not run["requests"]]
    if name == "p3":
        if not data["bare_loop"]["received"]:
            found.append("bare loop: the fake servers received nothing")
        found += [
            f"fan-out {size}: nothing delivered" for size in data["sizes"] if not data[str(size)]["delivered"]
        ]
    if name == "p5" and data["detect_to_notify_s"] is None:
        found.append("no SMS reached the fake Twilio")
    return found


def _wrong_answers(name: str, data: dict, rows: list[Row]) -> list[str]:
    """List missing figures and wrong answers, which only a smoke run fails on."""
    found = [f"figure missing: {row.metric}" for row in rows if row.value is None]
    if name == "p1":
        found += [
            f"wrk {label}: {run['non_2xx_3xx']} non-2xx"
            for label, run in _wrk_runs(data)
            if run["non_2xx_3xx"]
        ]
    if name == "p4":
        for label in ("single", "batched"):
            run = data[label]
            if run["lost"] or run["non_201"]:
                found.append(f"{label}: {run['lost']} results lost, {run['non_201']} answers not 201")
    if name == "p3":
        bare = data["bare_loop"]
        if bare["received"] != bare["sent"]:
            found.append(f"bare loop: sent {bare['sent']}, the fake servers received {bare['received']}")
        for size in data["sizes"]:
            if not data[str(size)]["complete"]:
                found.append(f"fan-out {size}: {data[str(size)]['delivered']} of {size} delivered")
    if name == "faults":
        for key in ("redis_down", "postgres_down"):
            run = data[key]
            errors = sum(run["socket_errors"].values())
            if run["non2xx"] or errors or not run["responses"]:
                found.append(
                    f"{key}: {run['non2xx']} non-2xx, {errors} socket errors, {run['responses']} answers"
                )
    return found


def problems(name: str, data: dict, rows: list[Row], smoke: bool) -> list[str]:
    """List why a phase that returned `data` and added `rows` failed; empty when it did not."""
    found = _nothing_measured(name, data, rows)
    if smoke:
        found += _wrong_answers(name, data, rows)
    return found
