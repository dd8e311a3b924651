"""Subscriber CSV import: read the file, check each row, create the new subscribers in batches.

Shared by the console upload (through an ImportJob and its Celery task) and
`manage.py import_subscribers`. Existing addresses are skipped, never changed,
and nobody is mailed: an unconfirmed import stays silent until the person
signs up again.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from notifications.models import ImportJob, Subscriber

BATCH_SIZE = 1000
MAX_BYTES = 20 * 1024 * 1024
MAX_ERRORS = 200
EMAIL_MAX_LENGTH = 254

EMAIL_HEADERS = {"email", "e-mail", "email address", "email_address"}
PHONE_HEADERS = {"phone", "phone number", "phone_number", "mobile", "sms"}
CONFIRMED_HEADERS = {"confirmed"}
YES = {"yes", "y", "true", "1"}
NO = {"", "no", "n", "false", "0"}
# Spreadsheet formula starts; the export prefixes such cells with an apostrophe (see subscribers.py).
FORMULA_START = ("=", "+", "-", "@")

logger = logging.getLogger(__name__)


class BadFile(ValueError):
    """The file as a whole cannot be imported (not UTF-8, not CSV, no address column)."""


@dataclass(frozen=True)
class RawRow:
    line: int
    email: str
    phone: str
    confirmed: str


@dataclass(frozen=True)
class Row:
    line: int
    email: str | None
    phone: str | None
    confirmed: bool


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "message": self.message}


@dataclass
class BatchResult:
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)


def decode(data: bytes) -> str:
    """Return the upload as text; an Excel byte-order mark is dropped."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(
            f"The file is not UTF-8 text (bad byte at offset {exc.start}). "
            'Save it as "CSV UTF-8" and upload it again.'
        ) from None
    if "\x00" in text:
        raise BadFile("This is not a CSV file.")
    return text


class CsvRows:
    """The data rows of a CSV file, with their line numbers; the header is checked on creation."""

    def __init__(self, lines: Iterable[str]):
        lines = iter(lines)
        first = next(lines, "")
        if not first.strip():
            raise BadFile("The file is empty, or its first line is blank; it must start with a header.")
        # Spreadsheets in many locales save with semicolons or tabs.
        delimiter = max([",", ";", "\t"], key=first.count)
        self._reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter, strict=True)
        try:
            header = [name.strip().lower() for name in next(self._reader)]
        except csv.Error as exc:
            raise BadFile(f"Line 1 is not valid CSV: {exc}.") from None
        self._email = _column(header, EMAIL_HEADERS)
        self._phone = _column(header, PHONE_HEADERS)
        self._confirmed = _column(header, CONFIRMED_HEADERS)
        if self._email is None and self._phone is None:
            raise BadFile('The first line must be a header with an "email" and/or a "phone" column.')

    def __iter__(self) -> Iterator[RawRow]:
        reader = self._reader
        while True:
            start = reader.line_num + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise BadFile(f"Line {start} is not valid CSV: {exc}.") from None
            if not any(value.strip() for value in fields):
                continue
            yield RawRow(
                line=start,
                email=_cell(fields, self._email),
                phone=_cell(fields, self._phone),
                confirmed=_cell(fields, self._confirmed),
            )


def _column(header: list[str], names: set[str]) -> int | None:
    return next((i for i, name in enumerate(header) if name in names), None)


def _cell(fields: list[str], index: int | None) -> str:
    return fields[index].strip() if index is not None and index < len(fields) else ""


def count_rows(lines: Iterable[str]) -> int:
    """Check the whole file and count its data rows; raise BadFile if it cannot be read."""
    return sum(1 for _ in CsvRows(lines))


def batches(rows: Iterable[RawRow], size: int = BATCH_SIZE) -> Iterator[list[RawRow]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def normalize_phone(raw: str) -> str:
    """Return the number in E.164, as the sign-up form stores it; ValueError if it is not one."""
    try:
        number = phonenumbers.parse(raw, settings.SMS_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError(f"phone {_shown(raw)} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"phone {_shown(raw)} is not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """Return the address lower-cased, as the sign-up form stores it; ValueError if it is not one."""
    if raw.startswith("'") and raw[1:].startswith(FORMULA_START):
        raw = raw[1:]
    email = raw.lower()
    try:
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ValueError(f"email {_shown(raw)} is not a valid address") from None
    return email


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


def parse(raw: RawRow, confirmed: bool = False) -> Row | RowError:
    """Check one row; `confirmed` vouches for every row, else its own confirmed column decides."""
    problems = []
    email = phone = None
    if raw.email:
        try:
            email = normalize_email(raw.email)
        except ValueError as exc:
            problems.append(str(exc))
    if raw.phone:
        try:
            phone = normalize_phone(raw.phone)
        except ValueError as exc:
            problems.append(str(exc))
    value = raw.confirmed.lower()
    if value not in YES | NO:
        problems.append(f"confirmed must be yes or no, not {_shown(raw.confirmed)}")
    if not raw.email and not raw.phone:
        problems.append("no email or phone")
    if problems:
        return RowError(raw.line, "; ".join(problems))
    return Row(raw.line, email, phone, confirmed or value in YES)


def import_batch(raw_rows: list[RawRow], confirmed: bool = False) -> BatchResult:
    """Create the batch's new subscribers; rows whose email or phone already exists are skipped."""
    result = BatchResult()
    rows = []
    for parsed in (parse(raw, confirmed) for raw in raw_rows):
        if isinstance(parsed, RowError):
            result.errors.append(parsed)
        else:
            rows.append(parsed)
    taken_emails = _existing("email", {row.email for row in rows if row.email})
    taken_phones = _existing("phone", {row.phone for row in rows if row.phone})
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


def _existing(field_name: str, values: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(values)
    # Chunks keep each IN list well under SQLite's bound-parameter limit.
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        found.update(
            Subscriber.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True)
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
                job = ImportJob.objects.select_for_update().defer("contents").get(pk=job_id)
                if job.is_finished:
                    return True
                if job.processed >= position:
                    continue  # done before a restart, or by a duplicate delivery of the task
                if job.processed != start:
                    raise RuntimeError(f"import {job_id} is at row {job.processed}, expected {start}")
                record(job, import_batch(batch, job.confirmed), len(batch))
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
