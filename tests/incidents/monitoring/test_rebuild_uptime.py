"""rebuild_uptime replays raw results into the same rollups the live path keeps."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from incidents.models import StatusPeriod, UptimeDay
from incidents.monitoring.component_status import Observation, record_results
from incidents.monitoring.rebuild import rebuild_component
from incidents.monitoring.uptime_math import Totals, total

pytestmark = pytest.mark.django_db


def midnight(days_ago: int) -> datetime:
    return datetime.combine(timezone.now().date() - timedelta(days=days_ago), time.min, tzinfo=UTC)


def test_replaying_a_day_of_results_yields_its_outage_and_periods(component, probe):
    start = midnight(2)
    # Every minute for a day, from two locations; 30 minutes of failures from 06:00.
    observations = [
        Observation(
            ok=not (360 <= minute < 390), observed_at=start + timedelta(minutes=minute), location=location
        )
        for minute in range(24 * 60)
        for location in ("us-east", "eu-west")
    ]
    record_results(probe.pk, observations)
    UptimeDay.objects.all().delete()
    StatusPeriod.objects.all().delete()

    replayed = rebuild_component(component.pk, start, start + timedelta(days=1))

    assert replayed == len(observations)
    day = Totals.of(UptimeDay.objects.get(component=component, day=start.date()))
    # Down from the 2nd failure (06:01) to the first success (06:30): 29 minutes.
    assert day.major_outage == 29 * 60
    assert day.operational + day.major_outage == pytest.approx(24 * 3600 - 60 * 0, abs=60 * 5)
    statuses = list(StatusPeriod.objects.order_by("started_at").values_list("status", flat=True))
    assert statuses == ["major_outage", "operational"]


def test_a_gap_in_results_is_counted_as_no_data(component, probe):
    start = midnight(1)
    early = [Observation(ok=True, observed_at=start + timedelta(minutes=m)) for m in range(60)]
    late = [Observation(ok=True, observed_at=start + timedelta(hours=5, minutes=m)) for m in range(60)]
    record_results(probe.pk, early + late)

    rebuild_component(component.pk, start, start + timedelta(hours=6))

    totals = total(UptimeDay.objects.filter(component=component))
    # Each result vouches for max(3 x 60 s, 5 min) = 5 min: the 4 h gap minus that is no data.
    assert totals.no_data == pytest.approx(4 * 3600 - 5 * 60 + 60, abs=61)
    assert totals.uptime == 100.0


def test_the_command_rebuilds_every_component_and_reports_progress(component, probe, capsys):
    record_results(
        probe.pk,
        [Observation(ok=True, observed_at=timezone.now() - timedelta(minutes=m)) for m in range(5)],
    )
    UptimeDay.objects.all().delete()

    call_command("rebuild_uptime", "--days", "2")

    out, err = capsys.readouterr()
    assert "Rebuilding 1 component(s) from 5 results" in out and "Rollups rebuilt." in out
    assert "5/5" in err  # the progress bar
    assert UptimeDay.objects.filter(component=component).exists()


def test_the_command_rejects_bad_arguments(component):
    with pytest.raises(CommandError, match="at least 1"):
        call_command("rebuild_uptime", "--days", "0")
    with pytest.raises(CommandError, match="no component with id 999"):
        call_command("rebuild_uptime", "--component", "999")
