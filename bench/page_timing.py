"""P2, in-process: with many pages, rendering a page's snapshots and the rebuild that one change causes.

Run as `python -m bench.page_timing PAGES RENDERS` with DJANGO_SETTINGS_MODULE=bench.settings
(bench/p2_history.py does this). Each extra page holds one component; the default page holds all.
"""

from __future__ import annotations

import json
import statistics
import sys
import time


def _median_ms(action, times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main(pages: int, renders: int) -> dict:
    import django

    django.setup()
    from django.db import transaction

    from incidents.models import Component, ComponentStatus, PageComponent, StatusPage
    from incidents.monitoring.component_status import set_component_status
    from incidents.public import snapshots
    from incidents.public.page_routing import page_index

    components = list(Component.objects.order_by("pk"))
    for n in range(pages):
        page, _ = StatusPage.objects.get_or_create(
            slug=f"bench-page-{n}", defaults={"name": f"Bench page {n}"}
        )
        PageComponent.objects.get_or_create(page=page, component=components[n % len(components)])
    index = page_index()
    one, default = index.by_slug["bench-page-1"].pk, index.default.pk
    snapshots.rebuild_pages({one, default})  # warm templates, URL resolving and the connection
    target = components[1 % len(components)]
    concerned = 1 + PageComponent.objects.filter(component=target).exclude(page__is_default=True).count()

    def change() -> None:
        # A status change and its rebuild, as one committed transaction causes them.
        with transaction.atomic():
            status = ComponentStatus.DEGRADED if target.status == "operational" else "operational"
            set_component_status(target, status)
        target.refresh_from_db()

    return {
        "pages": len(index.by_id),
        # Each renders the page's snapshots: the page, the eight v2 endpoints, the calendar.
        "rebuild_one_page_ms": _median_ms(lambda: snapshots.rebuild_pages({one}), renders),
        "rebuild_default_page_ms": _median_ms(lambda: snapshots.rebuild_pages({default}), renders),
        "rebuild_every_page_ms": _median_ms(snapshots.rebuild_all, 3),
        "change_and_rebuild_ms": _median_ms(change, renders),
        "pages_a_change_concerns": concerned,
    }


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
