"""Scheduling for active probes and heartbeats: claim what is due, exactly once."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents.models import ACTIVE_KINDS, Probe, ProbeKind
from incidents.monitoring.component_status import Observation, record_results

CLAIM_BATCH = 500


@transaction.atomic
def claim_due_probes(now: datetime | None = None) -> list[int]:
    """Claim active probes that are due and push their next run one interval on.

    Rows are locked with SKIP LOCKED, so two beat ticks (or two dispatchers)
    never claim the same probe for the same interval.
    """
    now = now or timezone.now()
    due = list(
        Probe.objects.select_for_update(skip_locked=True)
        .filter(is_active=True, kind__in=ACTIVE_KINDS, next_run_at__lte=now)
        .order_by("next_run_at")
        .only("pk", "interval_seconds")[:CLAIM_BATCH]
    )
    for probe in due:
        probe.next_run_at = now + timedelta(seconds=probe.interval_seconds)
    Probe.objects.bulk_update(due, ["next_run_at"])
    return [p.pk for p in due]


def schedule_new_probes(now: datetime | None = None) -> int:
    """Give active and heartbeat probes without a schedule their first due time."""
    now = now or timezone.now()
    active = Probe.objects.filter(is_active=True, kind__in=ACTIVE_KINDS, next_run_at__isnull=True)
    count = active.update(next_run_at=now)
    for probe in Probe.objects.filter(is_active=True, kind=ProbeKind.HEARTBEAT, next_run_at__isnull=True):
        Probe.objects.filter(pk=probe.pk, next_run_at__isnull=True).update(
            next_run_at=now + _heartbeat_window(probe)
        )
        count += 1
    return count


def _heartbeat_window(probe: Probe) -> timedelta:
    return timedelta(seconds=probe.interval_seconds + probe.grace_seconds)


def record_ping(probe: Probe, *, ok: bool | None, message: str = "", now: datetime | None = None) -> None:
    """A heartbeat ping: ok=True success, False failure, None a start signal."""
    now = now or timezone.now()
    if ok is None:
        return
    Probe.objects.filter(pk=probe.pk).update(next_run_at=now + _heartbeat_window(probe))
    record_results(probe.pk, [Observation(ok=ok, observed_at=now, message=message)])


def record_missed_heartbeats(now: datetime | None = None) -> list[int]:
    """Record a failure for each heartbeat whose period and grace ran out without a ping."""
    now = now or timezone.now()
    with transaction.atomic():
        missed = list(
            Probe.objects.select_for_update(skip_locked=True).filter(
                is_active=True, kind=ProbeKind.HEARTBEAT, next_run_at__lte=now
            )[:CLAIM_BATCH]
        )
        for probe in missed:
            # One failure per missed period, not one per check.
            probe.next_run_at = now + timedelta(seconds=probe.interval_seconds)
        Probe.objects.bulk_update(missed, ["next_run_at"])
    for probe in missed:
        record_results(
            probe.pk,
            [Observation(ok=False, observed_at=now, message="no ping within period + grace")],
        )
    return [p.pk for p in missed]
