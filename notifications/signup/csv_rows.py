"""Reading a subscriber CSV: the header, each data row with its line number, and each row checked.

Rows are normalised as the sign-up form stores addresses, so an imported
subscriber matches one who signs up later.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from notifications.signup import sms_numbers

EMAIL_MAX_LENGTH = 254

EMAIL_HEADERS = {"email", "e-mail", "email address", "email_address"}
PHONE_HEADERS = {"phone", "phone number", "phone_number", "mobile", "sms"}
CONFIRMED_HEADERS = {"confirmed"}
YES = {"yes", "y", "true", "1"}
NO = {"", "no", "n", "false", "0"}
# Spreadsheet formula starts; the export prefixes such cells with an apostrophe (see subscribers.py).
FORMULA_START = ("=", "+", "-", "@")


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


def normalize_phone(raw: str) -> str:
    """Return the number in E.164, as the sign-up form stores it; ValueError if it is not one we may text.

    The sign-up form's rule (country, kind of number) holds here too: an imported premium-rate
    number would be texted on every incident just as one typed into the form.
    """
    try:
        return sms_numbers.textable(raw)
    except sms_numbers.NumberRefused as exc:
        raise ValueError(f"phone {_shown(raw)} {exc.reason}") from None


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
