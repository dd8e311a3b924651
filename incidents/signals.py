from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction that wrote the Event (kwarg: event). Receivers that
# start work must defer it with transaction.on_commit.
event_recorded = Signal()

# Sent by the console to gather per-update delivery figures (kwarg: update_ids).
# Each receiver returns {update_id: {"queued": n, "sent": n, "failed": n, "suppressed": n}}.
collect_update_stats = Signal()
