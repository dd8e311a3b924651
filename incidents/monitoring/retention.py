"""Raw probe results are kept for a window, then deleted in small batches; rollups stay."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from incidents.models import ProbeResult

BATCH = 5000


def prune_results(retention_days: int, batch: int = BATCH, max_batches: int = 200) -> int:
    """Delete results older than the window, a batch at a time so no lock is held for long."""
    cutoff = timezone.now() - timedelta(days=retention_days)
    deleted = 0
    for _ in range(max_batches):
        ids = list(
            ProbeResult.objects.filter(observed_at__lt=cutoff)
            .order_by("observed_at")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        deleted += ProbeResult.objects.filter(pk__in=ids).delete()[0]
    return deleted
