"""Rebuild daily uptime rollups and status periods from the raw probe results still kept."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from incidents.models import Component, ProbeResult
from incidents.monitoring.rebuild import rebuild_component


class Command(BaseCommand):
    help = (
        "Replay raw probe results and rebuild UptimeDay rollups and status periods "
        "for the last N days (whole UTC days). Alerts and maintenance are not replayed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=settings.RESULTS_RETENTION_DAYS)
        parser.add_argument("--component", type=int, action="append", help="Only these component ids.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs).")

    def handle(self, *args, days: int, component: list[int] | None, no_progress: bool, **options) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1")
        until = timezone.now()
        since = datetime.combine(until.date() - timedelta(days=days - 1), time.min, tzinfo=UTC)
        components = Component.objects.order_by("pk")
        if component:
            components = components.filter(pk__in=component)
            missing = set(component) - set(components.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"no component with id {', '.join(map(str, sorted(missing)))}")
        ids = list(components.values_list("pk", flat=True))
        total = ProbeResult.objects.filter(
            probe__component_id__in=ids, observed_at__gte=since, observed_at__lt=until
        ).count()
        self.stdout.write(f"Rebuilding {len(ids)} component(s) from {total} results since {since:%Y-%m-%d}.")
        with tqdm(total=total, unit="results", disable=no_progress, file=self.stderr) as bar:
            for component_id in ids:
                rebuild_component(component_id, since, until, progress=bar.update)
        self.stdout.write(self.style.SUCCESS("Rollups rebuilt."))
