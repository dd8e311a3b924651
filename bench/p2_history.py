"""P2: render time of "/" in-process, caches off, with 1 day and with 365 days of history."""

from __future__ import annotations

import json

from bench import dataset
from bench.context import Bench, Row


def result_step_minutes(bench: Bench) -> int:
    """Spacing of generated raw results per probe and location (rollups are daily either way)."""
    return 1440 if bench.smoke else 180 if bench.quick else 60


def render_times(bench: Bench) -> dict:
    renders = 3 if bench.smoke else 15 if bench.quick else 40
    out = bench.python(
        ["-m", "bench.render_timing", str(renders)],
        bench.app_env(BENCH_UNCACHED="1", DJANGO_SETTINGS_MODULE="bench.settings"),
    )
    return json.loads(out.strip().splitlines()[-1])


def page_times(bench: Bench) -> dict:
    pages = 5 if bench.smoke else 50
    out = bench.python(
        ["-m", "bench.page_timing", str(pages), "3" if bench.smoke else "10"],
        bench.app_env(DJANGO_SETTINGS_MODULE="bench.settings"),
    )
    return json.loads(out.strip().splitlines()[-1])


def add_page_rows(bench: Bench, data: dict) -> None:
    every = data["rebuild_every_page_ms"]
    bench.add(
        Row(
            f"P2 render one page's snapshots (page, v2 JSON, calendar), {data['pages']} pages",
            data["rebuild_one_page_ms"],
            "ms",
            f"the default page (every component): {data['rebuild_default_page_ms']:.1f} ms; "
            f"every page: {every:.0f} ms",
            data["rebuild_one_page_ms"] / every,
        )
    )
    bench.add(
        Row(
            f"P2 a component status change and its rebuild, {data['pages']} pages",
            data["change_and_rebuild_ms"],
            "ms",
            f"rebuilds the {data['pages_a_change_concerns']} pages showing it; every page: {every:.0f} ms",
            data["change_and_rebuild_ms"] / every,
            "< 0.25",
            data["change_and_rebuild_ms"] / every < 0.25,
        )
    )


def run(bench: Bench) -> dict:
    data = {"one_day": {"rows": dataset.table_counts()}}
    data["one_day"].update(render_times(bench))
    bench.log(
        f"P2:   1 day  {data['one_day']['median_ms']:7.1f} ms median, "
        f"{data['one_day']['median_cpu_ms']:.1f} ms CPU ({data['one_day']['rows']})"
    )
    step = result_step_minutes(bench)
    # In two steps, to tell "more data in the 90 days the page shows" from "a longer history".
    for key, newest, oldest in (("ninety_days", 1, 90), ("year", 90, 365)):
        bench.log(f"P2: generating history up to {oldest} days back ...")
        data[f"generated_{key}"] = {**dataset.add_history(newest, oldest, step), "result_step_minutes": step}
        data[key] = {"rows": dataset.table_counts()}
        data[key].update(render_times(bench))
        bench.log(
            f"P2: {oldest:3d} days {data[key]['median_ms']:7.1f} ms median, "
            f"{data[key]['median_cpu_ms']:.1f} ms CPU ({data[key]['rows']})"
        )
    ratio = data["year"]["median_ms"] / data["one_day"]["median_ms"]
    data["ratio"] = ratio
    bench.add(
        Row(
            "P2 render / with 365 days of history",
            data["year"]["median_ms"],
            "ms",
            f"1 day {data['one_day']['median_ms']:.1f} ms (median of {data['year']['renders']})",
            ratio,
            "<= 1.2",
            ratio <= 1.2,
        )
    )
    bench.add(
        Row(
            "P2 CPU time of a render of / with 365 days",
            data["year"]["median_cpu_ms"],
            "ms",
            f"1 day {data['one_day']['median_cpu_ms']:.1f} ms (the render's own CPU, not waits)",
            data["year"]["median_cpu_ms"] / data["one_day"]["median_cpu_ms"],
        )
    )
    bench.add(
        Row(
            "P2 render / with 365 days vs 90 days",
            data["year"]["median_ms"],
            "ms",
            f"90 days {data['ninety_days']['median_ms']:.1f} ms (the page shows 90 days)",
            data["year"]["median_ms"] / data["ninety_days"]["median_ms"],
        )
    )
    bench.add(
        Row(
            "P2 queries per render of /",
            data["year"]["queries"],
            "queries",
            f"1 day {data['one_day']['queries']}",
            data["year"]["queries"] / data["one_day"]["queries"] if data["one_day"]["queries"] else None,
        )
    )
    bench.log("P2: many pages: rendering one page's snapshots, and one change's rebuild ...")
    data["pages"] = page_times(bench)
    add_page_rows(bench, data["pages"])
    return data
