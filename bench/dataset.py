"""The bench's data: components with push probes, an open incident, history and subscribers.

Base rows go through the ORM and the timeline verbs (so they are what the app itself writes);
bulk history is generated server-side with INSERT ... SELECT generate_series, and
subscribers are loaded with COPY.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg

LOCATIONS = ("us-east", "eu-west", "ap-south")
GROUPS = 5
COMPONENTS = 50


def admin_url(database_url: str) -> str:
    """The same server's maintenance database, to create and drop the bench's one."""
    return database_url.rsplit("/", 1)[0] + "/postgres"


def recreate_database(database_url: str) -> None:
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(database_url: str) -> None:
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(admin_url(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed_base(components: int = COMPONENTS) -> dict:
    """Groups, components with one push probe each (3 locations), and an open incident."""
    from django.db import transaction
    from django.utils import timezone

    from incidents.models import (
        Component,
        ComponentGroup,
        ComponentStatus,
        Impact,
        Incident,
        IncidentStatus,
        Probe,
        ProbeLocationState,
    )
    from incidents.timeline import incident_lifecycle

    now = timezone.now()
    with transaction.atomic():
        groups = [ComponentGroup.objects.create(name=f"Region {g + 1}", position=g) for g in range(GROUPS)]
        made = []
        for i in range(components):
            component = Component.objects.create(
                name=f"Service {i + 1:02d}",
                description="Benchmark component",
                group=groups[i % GROUPS],
                position=i,
                accounted_until=now,
            )
            probe = Probe.objects.create(component=component, name="push", last_result_at=now)
            ProbeLocationState.objects.bulk_create(
                ProbeLocationState(probe=probe, location=loc, last_result_at=now, consecutive_successes=1)
                for loc in LOCATIONS
            )
            made.append(component)
        incident = incident_lifecycle.open_incident(
            Incident(name="Elevated error rates", status=IncidentStatus.INVESTIGATING, impact=Impact.MINOR),
            "We are investigating elevated error rates on two services.",
            components=made[:2],
            component_statuses={made[0].pk: ComponentStatus.PARTIAL_OUTAGE},
        )
        incident_lifecycle.post_update(
            incident, IncidentStatus.IDENTIFIED, "The cause is identified; a fix is rolling out."
        )
    return {
        "components": components,
        "probes": components,
        "locations": len(LOCATIONS),
        "incident_id": incident.pk,
    }


def add_history(newest_days_ago: float, oldest_days_ago: float, result_step_minutes: int) -> dict:
    """Rollups, status periods and raw results for the span [now - oldest, now - newest) (days).

    A 5-minute major outage at noon UTC on every 7th component-day, and a result every
    `result_step_minutes` per probe and location. Rollups already there are kept.
    """
    from django.db import connection

    from incidents.models import Component, Probe, ProbeResult, StatusPeriod, UptimeDay

    now = datetime.now(UTC)
    span = {
        "start": now - timedelta(days=oldest_days_ago),
        "end": now - timedelta(days=newest_days_ago),
        "now": now,
        "step": result_step_minutes,
        "locations": list(LOCATIONS),
    }
    days = (
        "generate_series(date_trunc('day', %(start)s::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',"
        " %(end)s::timestamptz - interval '1 microsecond', interval '1 day') d"
    )
    outage_day = "(c.id + ((d AT TIME ZONE 'UTC')::date - date '2000-01-01')) %% 7 = 0"
    counts = {}
    started = time.monotonic()
    with connection.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO {UptimeDay._meta.db_table}
                (component_id, day, operational, degraded_performance, partial_outage,
                 major_outage, under_maintenance, no_data)
            SELECT c.id, (d AT TIME ZONE 'UTC')::date,
                   EXTRACT(EPOCH FROM (LEAST(d + interval '1 day', %(now)s) - d))
                       - CASE WHEN {outage_day} THEN 300 ELSE 0 END,
                   0, 0, CASE WHEN {outage_day} THEN 300 ELSE 0 END, 0, 0
            FROM {Component._meta.db_table} c, {days}
            ON CONFLICT (component_id, day) DO NOTHING
            """,  # noqa: S608 - table names from the models, values as parameters
            span,
        )
        counts["uptime_days"] = cur.rowcount
        cur.execute(
            f"""
            INSERT INTO {StatusPeriod._meta.db_table} (component_id, status, started_at, ended_at)
            SELECT c.id, p.status, d + p.since, LEAST(d + p.until, %(now)s)
            FROM {Component._meta.db_table} c, {days},
                 (VALUES ('major_outage', interval '12 hours', interval '12 hours 5 minutes'),
                         ('operational', interval '12 hours 5 minutes', interval '36 hours'))
                     p(status, since, until)
            WHERE {outage_day} AND d + p.since >= %(start)s AND d + p.since < %(end)s
            """,  # noqa: S608 - table names from the models, values as parameters
            span,
        )
        counts["status_periods"] = cur.rowcount
        cur.execute(
            f"""
            INSERT INTO {ProbeResult._meta.db_table}
                (probe_id, ok, latency_ms, location, observed_at, received_at, message)
            SELECT p.id, (EXTRACT(EPOCH FROM t)::bigint / 60 + p.id) %% 97 <> 0, 40 + p.id %% 50, l, t, t, ''
            FROM {Probe._meta.db_table} p
                 CROSS JOIN unnest(%(locations)s::text[]) l
                 CROSS JOIN generate_series(%(start)s::timestamptz,
                                            %(end)s::timestamptz - interval '1 second',
                                            make_interval(mins => %(step)s)) t
            """,  # noqa: S608 - table names from the models, values as parameters
            span,
        )
        counts["probe_results"] = cur.rowcount
        for model in (UptimeDay, StatusPeriod, ProbeResult):
            cur.execute(f"ANALYZE {model._meta.db_table}")
        # Write the new pages out now, not in the background while the next phase measures.
        cur.execute("CHECKPOINT")
    counts["seconds"] = round(time.monotonic() - started, 1)
    return counts


def table_counts() -> dict:
    from incidents.models import ProbeResult, StatusPeriod, UptimeDay

    return {m.__name__: m.objects.count() for m in (UptimeDay, StatusPeriod, ProbeResult)}


def subscriber_address(i: int) -> tuple[str | None, str | None]:
    """Even numbers have an email address, odd ones a mobile number (half and half)."""
    if i % 2 == 0:
        return f"bench-{i:07d}@example.test", None
    return None, f"+1555{i:07d}"


def replace_subscribers(count: int) -> float:
    """Remove every subscriber (and their deliveries), then COPY in `count` confirmed ones."""
    from django.db import connection, transaction
    from django.utils import timezone

    from notifications.models import Delivery, Subscriber, new_link_key

    started = time.monotonic()
    now = timezone.now()
    fields = [f for f in Subscriber._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with transaction.atomic(), connection.cursor() as cur:
        tables = [
            Delivery._meta.db_table,
            Subscriber.components.through._meta.db_table,
            Subscriber._meta.db_table,
        ]
        cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        raw = cur.cursor  # psycopg's own cursor, for COPY
        # Every other column as the model would save it; only the addresses and link keys vary per row.
        template = Subscriber(email="x@example.test", phone="+15550000000", created_at=now)
        row = [f.get_db_prep_save(getattr(template, f.attname), connection) for f in fields]
        slot = {f.attname: n for n, f in enumerate(fields)}
        with raw.copy(f"COPY {Subscriber._meta.db_table} ({columns}) FROM STDIN") as copy:
            for i in range(count):
                email, phone = subscriber_address(i)
                row[slot["email"]], row[slot["phone"]] = email, phone
                row[slot["email_confirmed_at"]] = now if email else None
                row[slot["phone_confirmed_at"]] = now if phone else None
                row[slot["link_key"]] = new_link_key()  # unique per subscriber
                copy.write_row(row)
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {Subscriber._meta.db_table}")
    return time.monotonic() - started


if __name__ == "__main__":
    # `python -m bench.dataset seed`: the base data and one day of history (the fault phase's cluster).
    import json
    import sys

    import django

    django.setup()
    if sys.argv[1:] != ["seed"]:
        raise SystemExit("usage: python -m bench.dataset seed")
    print(json.dumps({**seed_base(), "history": add_history(0, 1, 60)}))
