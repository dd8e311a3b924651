"""Subscriber CSV import: create the new subscribers batch by batch, and work an ImportJob through.

Shared by the console upload (through an ImportJob and its Celery task) and
`manage.py import_subscribers`. Existing addresses are skipped, never changed,
and nobody is mailed: an unconfirmed import stays silent until the person
signs up again.
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from incidents.models import StatusPage
from notifications.models import ImportJob, Subscriber
from notifications.signup.csv_rows import BadFile, CsvRows, RawRow, RowError, parse

BATCH_SIZE = 1000
MAX_BYTES = 20 * 1024 * 1024
MAX_ERRORS = 200


@dataclass
class BatchResult:
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)


def batches(rows: Iterable[RawRow], size: int = BATCH_SIZE) -> Iterator[list[RawRow]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def import_batch(raw_rows: list[RawRow], page: StatusPage, confirmed: bool = False) -> BatchResult:
    """Create the batch's new subscribers of `page`; rows whose email or phone it already has are skipped."""
    result = BatchResult()
    rows = []
    for parsed in (parse(raw, confirmed) for raw in raw_rows):
        if isinstance(parsed, RowError):
            result.errors.append(parsed)
        else:
            rows.append(parsed)
    taken_emails = _existing(page, "email", {row.email for row in rows if row.email})
    taken_phones = _existing(page, "phone", {row.phone for row in rows if row.phone})
    now = timezone.now()
    new = []
    for row in rows:
        if (row.email and row.email in taken_emails) or (row.phone and row.phone in taken_phones):
            result.skipped += 1
            continue
        # A later row of this file with the same address is a duplicate too.
        if row.email:
            taken_emails.add(row.email)
        if row.phone:
            taken_phones.add(row.phone)
        new.append(
            Subscriber(
                page=page,
                email=row.email,
                phone=row.phone,
                email_confirmed_at=now if row.confirmed and row.email else None,
                phone_confirmed_at=now if row.confirmed and row.phone else None,
            )
        )
    # ignore_conflicts: a visitor signing up with the same address meanwhile keeps theirs.
    # Such a lost race still counts as created; it is rare and harmless.
    Subscriber.objects.bulk_create(new, ignore_conflicts=True)
    result.created = len(new)
    return result


def _existing(page: StatusPage, field_name: str, values: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(values)
    # Chunks keep each IN list well under SQLite's bound-parameter limit.
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update(
            Subscriber.objects.filter(page=page, **{f"{field_name}__in": chunk}).values_list(
                field_name, flat=True
            )
        )
    return found


def run_job(job_id: int, budget_seconds: float | None = None) -> bool:
    """Work through an import job from where it stopped; True once it is finished (or gone).

    Each batch commits together with the job's counters, so a killed worker
    resumes exactly; with a budget, returns False when time is up so the
    caller can continue in a fresh task and not hold a worker that sends alerts.
    """
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return True
    ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, updated_at=timezone.now()
    )
    deadline = time.monotonic() + budget_seconds if budget_seconds else None
    position = 0
    try:
        for batch in batches(CsvRows(io.StringIO(job.contents))):
            start, position = position, position + len(batch)
            with transaction.atomic():
                job = (
                    ImportJob.objects.select_for_update()
                    .defer("contents")
                    .select_related("page")
                    .get(pk=job_id)
                )
                if job.is_finished:
                    return True
                if job.processed >= position:
                    continue  # done before a restart, or by a duplicate delivery of the task
                if job.processed != start:
                    raise RuntimeError(f"import {job_id} is at row {job.processed}, expected {start}")
                record(job, import_batch(batch, job.page, job.confirmed), len(batch))
                job.save()
            if deadline and time.monotonic() > deadline:
                return False
    except BadFile as exc:
        fail(job_id, str(exc))
        return True
    finish(job_id)
    return True


def record(job: ImportJob, result: BatchResult, rows: int) -> None:
    """Add one batch's outcome to the job's counters, keeping the first MAX_ERRORS errors."""
    job.processed += rows
    job.created += result.created
    job.skipped += result.skipped
    job.invalid += len(result.errors)
    room = MAX_ERRORS - len(job.errors)
    if room > 0:
        job.errors = job.errors + [error.as_dict() for error in result.errors[:room]]


def finish(job_id: int) -> None:
    now = timezone.now()
    job = ImportJob.objects.defer("contents").get(pk=job_id)
    # The copy of the addresses is not kept once they are in.
    ImportJob.objects.filter(pk=job_id).update(
        status=ImportJob.Status.DONE,
        total=max(job.total, job.processed),
        contents="",
        finished_at=now,
        updated_at=now,
    )


def fail(job_id: int, reason: str) -> None:
    now = timezone.now()
    ImportJob.objects.filter(pk=job_id).exclude(status=ImportJob.Status.DONE).update(
        status=ImportJob.Status.FAILED, failure=reason[:500], finished_at=now, updated_at=now
    )
