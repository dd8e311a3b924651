"""Celery tasks for probes and rollups: thin wrappers taking ids."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from incidents.models import Probe
from incidents.monitoring import checks, retention, rollups, scheduling
from incidents.monitoring.component_status import Observation, record_results
from incidents.public import access_mail, snapshots
from incidents.timeline import auto_incidents, maintenance


@shared_task
def dispatch_due_probes() -> int:
    """Claim due active probes and send each to every probe location's queue."""
    scheduling.schedule_new_probes()
    due = scheduling.claim_due_probes()
    for probe_id in due:
        for location in settings.PROBE_LOCATIONS:
            run_probe.apply_async((probe_id,), queue=f"probes.{location}", expires=60)
    return len(due)


@shared_task(acks_late=True)
def run_probe(probe_id: int) -> None:
    probe = Probe.objects.filter(pk=probe_id, is_active=True).first()
    if probe is None:
        return
    outcome = checks.run_check(probe)
    record_results(
        probe.pk,
        [
            Observation(
                ok=outcome.ok,
                observed_at=timezone.now(),
                latency_ms=outcome.latency_ms,
                location=settings.PROBE_LOCATION,
                message=outcome.message,
            )
        ],
    )


@shared_task
def check_heartbeats() -> int:
    return len(scheduling.record_missed_heartbeats())


@shared_task
def tick_uptime() -> int:
    return rollups.tick_uptime()


@shared_task
def run_maintenance_schedule() -> dict:
    return maintenance.run_maintenance_schedule()


@shared_task
def rebuild_snapshots() -> int:
    """Every minute too: uptime bars and "updated" times move on without any event."""
    return snapshots.rebuild_all()


@shared_task
def prune_results() -> int:
    return retention.prune_results(settings.RESULTS_RETENTION_DAYS)


@shared_task
def resolve_recovered_incidents() -> int:
    return len(auto_incidents.resolve_recovered())


# Registered where it is defined, beside the view that queues it.
send_page_access_link = access_mail.send_sign_in_link
