"""Import subscribers from a CSV file on the server, with a progress bar."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from incidents.models import StatusPage
from incidents.timeline.page_setup import ensure_default_page
from notifications.signup import bulk_import, csv_rows


def _page(slug: str | None) -> StatusPage:
    if not slug:
        return ensure_default_page()
    page = StatusPage.objects.filter(slug=slug).first()
    if page is None:
        raise CommandError(f"No status page with the slug {slug!r}.")
    return page


class Command(BaseCommand):
    help = (
        "Import subscribers from a UTF-8 CSV with an email and/or phone column (optional confirmed=yes "
        "column). Existing addresses are skipped; nobody is emailed or texted."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="path to the CSV file")
        parser.add_argument(
            "--confirmed",
            action="store_true",
            help="import every row as already confirmed (you vouch for them, e.g. moving from Statuspage)",
        )
        parser.add_argument(
            "--page", metavar="SLUG", help="the status page they subscribe to (default: the default page)"
        )

    def handle(self, *args, **options) -> None:
        path = options["file"]
        page = _page(options["page"])
        created = skipped = invalid = 0
        errors: list[csv_rows.RowError] = []
        try:
            with open(path, encoding="utf-8-sig", newline="") as lines:
                total = csv_rows.count_rows(lines)
            with (
                open(path, encoding="utf-8-sig", newline="") as lines,
                tqdm(total=total, unit="row", file=self.stderr, disable=options["verbosity"] < 1) as bar,
            ):
                for batch in bulk_import.batches(csv_rows.CsvRows(lines)):
                    with transaction.atomic():
                        result = bulk_import.import_batch(batch, page, options["confirmed"])
                    created += result.created
                    skipped += result.skipped
                    invalid += len(result.errors)
                    errors.extend(result.errors[: bulk_import.MAX_ERRORS - len(errors)])
                    bar.update(len(batch))
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text (bad byte at offset {exc.start}).") from None
        except csv_rows.BadFile as exc:
            raise CommandError(f"{path}: {exc}") from None
        for error in errors:
            self.stderr.write(f"line {error.line}: {error.message}")
        if invalid > len(errors):
            self.stderr.write(f"... and {invalid - len(errors)} more rows with errors")
        state = "confirmed" if options["confirmed"] else "unconfirmed (they get nothing until they sign up)"
        self.stdout.write(
            self.style.SUCCESS(
                f"{total} rows: {created} subscribers created, {state}; {skipped} skipped (already "
                f"subscribed); {invalid} with errors."
            )
        )
