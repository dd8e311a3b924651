"""Public pages cost the same number of queries however long the history; hot queries use indexes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from incidents.models import (
    ACTIVE_KINDS,
    Component,
    ComponentGroup,
    ComponentStatus,
    PageComponent,
    Probe,
    ProbeKind,
    ProbeResult,
    StatusPage,
    StatusPeriod,
    UptimeDay,
)
from tests.conftest import count_queries

pytestmark = pytest.mark.django_db

DAY = 86_400
CYCLE = [ComponentStatus.OPERATIONAL, ComponentStatus.DEGRADED, ComponentStatus.MAJOR_OUTAGE]


def create_components(first: int, count: int) -> list[Component]:
    group, _ = ComponentGroup.objects.get_or_create(name="Services")
    components = Component.objects.bulk_create(
        [Component(name=f"Service {n}", group=group, position=n) for n in range(first, first + count)]
    )
    page = StatusPage.objects.get(is_default=True)  # bulk_create sends no post_save to place them
    PageComponent.objects.bulk_create(
        PageComponent(page=page, component=c, group=group, position=c.position) for c in components
    )
    return components


def add_history(components: list[Component], days: range) -> None:
    """Rollups and status periods for the given days back from today (0 is today)."""
    today = timezone.now().date()
    UptimeDay.objects.bulk_create(
        [
            UptimeDay(component=c, day=today - timedelta(days=d), operational=DAY - 600, major_outage=600)
            for c in components
            for d in days
        ],
        batch_size=2000,
    )
    StatusPeriod.objects.bulk_create(
        [
            StatusPeriod(
                component=c,
                status=CYCLE[d % len(CYCLE)],
                started_at=datetime.combine(today - timedelta(days=d), time.min, tzinfo=UTC),
                ended_at=None
                if d == 0
                else datetime.combine(today - timedelta(days=d - 1), time.min, tzinfo=UTC),
            )
            for c in components
            for d in days
        ],
        batch_size=2000,
    )


def add_latency(component: Component, hours: int) -> None:
    probe, _ = Probe.objects.get_or_create(
        component=component, name="https", defaults={"kind": ProbeKind.HTTP, "url": "https://example.com/"}
    )
    now = timezone.now()
    ProbeResult.objects.bulk_create(
        [
            ProbeResult(
                probe=probe,
                ok=True,
                latency_ms=50 + m % 40,
                location=loc,
                observed_at=now - timedelta(minutes=m),
            )
            for loc in ("eu-west", "us-east")
            for m in range(0, hours * 60, 10)
        ],
        batch_size=2000,
    )


def paths(component: Component) -> list[str]:
    return ["/", f"/components/{component.pk}/", "/api/v2/summary.json"]


def test_query_count_does_not_grow_with_history_length(client):
    components = create_components(0, 50)
    add_history(components, range(1))
    add_latency(components[0], hours=1)
    short = {path: count_queries(client, path) for path in paths(components[0])}

    add_history(components, range(1, 365))
    add_latency(components[0], hours=48)
    long = {path: count_queries(client, path) for path in paths(components[0])}

    print(f"1 day: {short}, 365 days: {long}")
    for path in short:
        assert long[path] <= short[path], path


def test_query_count_does_not_grow_with_component_count(client):
    components = create_components(0, 2)
    add_history(components, range(30))
    add_latency(components[0], hours=2)
    few = {path: count_queries(client, path) for path in paths(components[0])}

    more = create_components(2, 48)
    add_history(more, range(30))
    for component in more[:5]:
        add_latency(component, hours=2)
    many = {path: count_queries(client, path) for path in paths(components[0])}

    print(f"2 components: {few}, 50 components: {many}")
    for path in few:
        assert many[path] <= few[path], path


# --- EXPLAIN on PostgreSQL: hot queries on big tables use an index

BIG_TABLES = ("incidents_proberesult", "incidents_uptimeday", "incidents_probe")


@pytest.fixture
def big_history(db):
    """~200k results over 200 probes and 40 days, ~50k rollups, ~20k probes, all ANALYZEd."""
    components = create_components(0, 100)
    Probe.objects.bulk_create(
        [
            Probe(
                component=components[n % len(components)],
                name=f"probe {n}",
                kind=ACTIVE_KINDS[n % len(ACTIVE_KINDS)],
                url="https://example.com/",
                host="example.com",
                port=443,
                # A handful due now, the rest later within their interval.
                next_run_at=timezone.now() + timedelta(seconds=(n % 600) - 2),
            )
            for n in range(20_000)
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO incidents_proberesult
                (probe_id, ok, latency_ms, location, observed_at, received_at, message)
            SELECT p.id, g % 97 <> 0, 40 + g % 300, 'eu-west', now() - g * interval '1 hour', now(), ''
            FROM (SELECT id FROM incidents_probe ORDER BY id LIMIT 200) p
            CROSS JOIN generate_series(1, 1000) g
            ORDER BY g DESC, p.id
            """
        )
        # 100 components x 500 days, written day by day as the rollups are.
        cursor.execute(
            """
            INSERT INTO incidents_uptimeday
                (component_id, day, operational, degraded_performance, partial_outage,
                 major_outage, under_maintenance, no_data)
            SELECT c.id, current_date - g, 86400 - g % 7, 0, g % 5, g % 7, 0, 0
            FROM incidents_component c CROSS JOIN generate_series(0, 499) g
            ORDER BY g DESC, c.id
            """
        )
        for table in BIG_TABLES:
            cursor.execute(f"ANALYZE {table}")
    assert ProbeResult.objects.count() == 200_000
    assert UptimeDay.objects.count() == 50_000
    return components


def hot_queries(components: list[Component]) -> dict[str, object]:
    """The hot-path querysets, built the way the app builds them."""
    now = timezone.now()
    today = now.date()
    probe_id = ProbeResult.objects.values_list("probe_id", flat=True).first()
    component = components[len(components) // 2]
    http_probes = list(component.probes.filter(kind=ProbeKind.HTTP).values_list("pk", flat=True))
    return {
        "probes of a component (evaluate_component, latency_chart)": component.probes.filter(
            kind=ProbeKind.HTTP
        ).values_list("pk", flat=True),
        "results by probe and time": ProbeResult.objects.filter(
            probe_id=probe_id, observed_at__gte=now - timedelta(hours=24)
        ).order_by("observed_at"),
        "latency chart (incidents.latency_chart)": ProbeResult.objects.filter(
            probe_id__in=http_probes, observed_at__gte=now - timedelta(hours=24), latency_ms__isnull=False
        ).values_list("location", "observed_at", "latency_ms"),
        "uptime by component and day range (monthly_uptime)": UptimeDay.objects.filter(
            component_id=component.pk, day__gte=today.replace(day=1) - timedelta(days=335)
        ).values("day", "operational", "major_outage"),
        "uptime of all components, last 90 days (uptime_by_component)": UptimeDay.objects.filter(
            component_id__in=[c.pk for c in components], day__gte=today - timedelta(days=89)
        ).values("component_id", "day", "operational", "major_outage"),
        "due probes (claim_due_probes)": Probe.objects.filter(
            is_active=True, kind__in=ACTIVE_KINDS, next_run_at__lte=now
        )
        .order_by("next_run_at")
        .only("pk", "interval_seconds")[:500],
        "prune batch (retention.prune_results)": ProbeResult.objects.filter(
            observed_at__lt=now - timedelta(days=30)
        )
        .order_by("observed_at")
        .values_list("pk", flat=True)[:5000],
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="EXPLAIN plans are checked on PostgreSQL")
def test_hot_queries_use_indexes_not_sequential_scans_of_big_tables(big_history):
    scans = {}
    for name, queryset in hot_queries(big_history).items():
        plan = queryset.explain()
        print(f"--- {name}\n{plan}")
        scans[name] = [table for table in BIG_TABLES if f"Seq Scan on {table}" in plan]

    assert scans == {name: [] for name in scans}
