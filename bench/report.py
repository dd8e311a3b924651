"""The final table: metric, value, comparison, ratio, target, met?"""

from __future__ import annotations

from dataclasses import asdict

from bench.context import Row

HEADERS = ("metric", "value", "comparison", "ratio", "target", "met?")


def _value(row: Row) -> str:
    if row.value is None:
        return "-"
    value = row.value
    if isinstance(value, float) and abs(value) < 10:
        text = f"{value:.2f}"
    elif isinstance(value, float) and abs(value) < 100:
        text = f"{value:.1f}"
    else:
        text = f"{value:,.0f}"
    return f"{text} {row.unit}".strip()


def _met(row: Row) -> str:
    return "" if row.met is None else ("yes" if row.met else "NO")


def cells(row: Row) -> tuple[str, ...]:
    ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
    return (row.metric, _value(row), row.comparison, ratio, row.target, _met(row))


def table(rows: list[Row]) -> str:
    lines = [HEADERS, *(cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADERS))]
    out = []
    for n, line in enumerate(lines):
        out.append(" | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if n == 0:
            out.append("-+-".join("-" * w for w in widths))
    return "\n".join(out)


def row_dict(row: Row) -> dict:
    return {**asdict(row), "text": dict(zip(HEADERS, cells(row), strict=True))}
