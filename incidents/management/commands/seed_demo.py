"""Load demo components, probes, an integration, a subscriber and 90 days of history; safe to run again.

The history is written the way it would have happened: incidents and maintenance through the
timeline's verbs (so their updates, events and audit are the app's own), then moved into the past
with queryset updates. Backdated events are marked as already fanned out, so nobody is notified
of them; the rollups the bars read are written for the same outages.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from incidents.management.demo_history import (
    BLIPS,
    LOCATIONS,
    MAINTENANCE,
    MAINTENANCE_NAME,
    RESULT_EVERY,
    STORIES,
    TYPICAL_MS,
    UPCOMING_NAME,
    Spell,
    Story,
)
from incidents.management.demo_pages import ensure_demo_pages
from incidents.models import (
    Component,
    ComponentGroup,
    ComponentStatus,
    Event,
    EventKind,
    Incident,
    IncidentStatus,
    IncidentUpdate,
    Integration,
    IntegrationKind,
    Probe,
    ProbeKind,
    ProbeResult,
    UptimeDay,
)
from incidents.monitoring.component_status import Observation, record_results
from incidents.monitoring.uptime_math import split_by_day
from incidents.timeline.incident_lifecycle import open_incident, post_update, publish_postmortem
from incidents.timeline.maintenance import schedule_maintenance

DEMO = [
    ("API", ["Public API", "Webhooks"]),
    ("Message queue", ["Message queue us-east", "Message queue eu-west"]),
    ("Processing", ["Worker backend", "Cache"]),
]
DEMO_SUBSCRIBER = "demo-subscriber@example.com"
HISTORY_DAYS = 90


class Command(BaseCommand):
    help = (
        "Create demo groups, components, one push probe each, an HTTP probe, 90 days of history, "
        "a demo subscriber and two more pages (Example Payments, Internal)."
    )

    def handle(self, *args, **options) -> None:
        position = 0
        for group_position, (group_name, names) in enumerate(DEMO):
            group, _ = ComponentGroup.objects.get_or_create(
                name=group_name, defaults={"position": group_position}
            )
            for name in names:
                position += 1
                component, _ = Component.objects.get_or_create(
                    name=name,
                    # Demo incidents publish themselves, so the whole flow shows at once.
                    defaults={"group": group, "position": position, "auto_publish": True},
                )
                Probe.objects.get_or_create(component=component, name="push")
        Probe.objects.get_or_create(
            component=Component.objects.get(name="Public API"),
            name="status.json over HTTP",
            defaults={
                "kind": ProbeKind.HTTP,
                "url": f"{settings.SITE_URL}/api/v2/status.json",
                "interval_seconds": 30,
                "degraded_latency_ms": 1000,
                "keyword": "indicator",
            },
        )
        integration, _ = Integration.objects.get_or_create(
            name="Demo Alertmanager", defaults={"kind": IntegrationKind.ALERTMANAGER}
        )
        pages = ensure_demo_pages()
        with transaction.atomic():
            self._history(timezone.now())
        self._latency(timezone.now())
        self._demo_subscriber()

        self.stdout.write(self.style.SUCCESS("Demo data ready. Push probes:"))
        for probe in Probe.objects.filter(kind=ProbeKind.PUSH).select_related("component").order_by("pk"):
            url = settings.SITE_URL + reverse("probe-results", args=[probe.pk])
            self.stdout.write(f"  {probe.component.name:<24} {url}  secret={probe.secret}")
        url = settings.SITE_URL + reverse("alertmanager")
        self.stdout.write(f"Alertmanager webhook: {url}  secret={integration.secret}")
        self.stdout.write(f"Demo subscriber (confirmed, email): {DEMO_SUBSCRIBER}")
        self.stdout.write("Status pages:")
        for page, url in pages:
            access = (
                "private, " + page.get_access_display().split(": ", 1)[-1] if page.is_private else "public"
            )
            self.stdout.write(f"  {page.name:<24} {url}  ({access})")

    # --- history

    def _history(self, now: datetime) -> None:
        today = now.date()
        components = {c.name: c for c in Component.objects.filter(name__in=TYPICAL_MS)}
        written = []
        for story in STORIES:
            if not Incident.objects.filter(name=story.name).exists():
                written.append(self._incident(story, components, today))
        if not Incident.objects.filter(name=MAINTENANCE_NAME).exists():
            written.append(self._past_maintenance(components["Cache"], today))
        if not Incident.objects.filter(name=UPCOMING_NAME).exists():
            written.append(self._upcoming_maintenance(components["Message queue us-east"], now))
        spells = [s for story in STORIES for s in story.spells] + BLIPS + [MAINTENANCE]
        for component in components.values():
            self._rollups(component, [s for s in spells if s.component == component.name], now)
        self._mark_notified(written)

    def _incident(self, story: Story, components: dict[str, Component], today: date) -> Incident:
        spell = story.spells[0]
        began, _ = spell.span(today)
        affected = [components[name] for name in story.components or [spell.component]]
        (_, status, body), *rest = story.updates
        incident = open_incident(
            Incident(name=story.name, status=status, impact=story.impact), body, components=affected
        )
        for _, status, body in rest:
            post_update(incident, status, body)
        if story.postmortem:
            publish_postmortem(incident, story.postmortem)
        # The updates name the component they took down and brought back, as staff would have.
        row = {"code": str(components[spell.component].pk), "name": spell.component}
        rows = {
            0: [{**row, "old_status": ComponentStatus.OPERATIONAL, "new_status": spell.status}],
            len(story.updates) - 1: [
                {**row, "old_status": spell.status, "new_status": ComponentStatus.OPERATIONAL}
            ],
        }
        times = [began + timedelta(minutes=m) for m, _, _ in story.updates]
        postmortem_at = times[-1] + timedelta(days=2) if story.postmortem else None
        self._backdate(incident, times, rows, postmortem_at=postmortem_at)
        return incident

    def _past_maintenance(self, cache: Component, today: date) -> Incident:
        start, end = MAINTENANCE.span(today)
        # Given no components while it runs: in the past, it must not put the cache under maintenance now.
        incident = schedule_maintenance(
            MAINTENANCE_NAME,
            "We will upgrade the cache cluster to Redis 7.2. Expect a few seconds of reconnects.",
            [],
            start,
            start + timedelta(hours=1),
        )
        post_update(incident, IncidentStatus.IN_PROGRESS, "Scheduled maintenance is in progress.")
        post_update(incident, IncidentStatus.COMPLETED, "The upgrade is done; the cache is serving normally.")
        incident.components.set([cache])
        self._backdate(incident, [start - timedelta(days=7), start, end])
        return incident

    def _upcoming_maintenance(self, queue: Component, now: datetime) -> Incident:
        start = datetime.combine(now.date() + timedelta(days=3), time(2), tzinfo=UTC)
        incident = schedule_maintenance(
            UPCOMING_NAME,
            "We will upgrade the us-east brokers one at a time. Publishing and consuming continue; "
            "expect a few reconnects.",
            [queue],
            start,
            start + timedelta(hours=2),
        )
        self._backdate(incident, [now - timedelta(days=1)])
        return incident

    def _backdate(
        self, incident: Incident, times: list[datetime], rows: dict | None = None, postmortem_at=None
    ) -> None:
        """Move an incident written just now to when it happened: its updates, their events, its stamps."""
        updates = list(incident.updates.order_by("created_at", "id").values_list("pk", "status"))
        stamps = {"created_at": times[0], "updated_at": postmortem_at or times[-1]}
        for n, ((update_id, status), at) in enumerate(zip(updates, times, strict=True)):
            changes = {"created_at": at, **({"affected_components": rows[n]} if rows and n in rows else {})}
            IncidentUpdate.objects.filter(pk=update_id).update(**changes)
            Event.objects.filter(incident_update_id=update_id).update(created_at=at)
            if status == IncidentStatus.MONITORING:
                stamps.setdefault("monitoring_at", at)
            if status in (IncidentStatus.RESOLVED, IncidentStatus.COMPLETED):
                stamps["resolved_at"] = at
        if postmortem_at:
            stamps["postmortem_published_at"] = postmortem_at
            Event.objects.filter(incident=incident, kind=EventKind.INCIDENT_POSTMORTEM).update(
                created_at=postmortem_at
            )
        Incident.objects.filter(pk=incident.pk).update(**stamps)

    def _mark_notified(self, incidents: list[Incident]) -> None:
        """Backdated history is news to nobody: mark its events' fan-outs as done before any runs."""
        from django.apps import apps

        if not incidents or not apps.is_installed("notifications"):
            return
        FanOut = apps.get_model("notifications", "FanOut")
        done = timezone.now()
        FanOut.objects.bulk_create(
            [FanOut(event=e, finished_at=done) for e in Event.objects.filter(incident__in=incidents)],
            ignore_conflicts=True,
        )

    def _rollups(self, component: Component, spells: list[Spell], now: datetime) -> None:
        """Rollups from the first day of the history to when the component began counting its own."""
        start = datetime.combine(now.date() - timedelta(days=HISTORY_DAYS - 1), time.min, tzinfo=UTC)
        if component.created_at <= start:
            return  # its history is there already
        until = component.created_at if component.accounted_until else now
        seconds: dict[date, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for day, length in split_by_day(start, until):
            seconds[day]["operational"] += length
        for spell in spells:
            begin, end = spell.span(now.date())
            begin, end = max(begin, start), min(end, until)
            for day, length in split_by_day(begin, end):
                seconds[day][spell.status] += length
                seconds[day]["operational"] -= length
        existing = set(
            UptimeDay.objects.filter(component=component, day__in=list(seconds)).values_list("day", flat=True)
        )
        UptimeDay.objects.bulk_create(
            [
                UptimeDay(component=component, day=day, **fields)
                for day, fields in seconds.items()
                if day not in existing
            ]
        )
        for day in existing:  # the day it was created: add the hours before
            UptimeDay.objects.filter(component=component, day=day).update(
                **{name: F(name) + value for name, value in seconds[day].items()}
            )
        Component.objects.filter(pk=component.pk).update(
            created_at=start, accounted_until=component.accounted_until or now
        )

    # --- the response-time chart's last 24 hours

    def _latency(self, now: datetime) -> None:
        probes = Probe.objects.filter(kind=ProbeKind.PUSH, component__name__in=TYPICAL_MS).select_related(
            "component"
        )
        for probe in probes:
            if ProbeResult.objects.filter(probe=probe, observed_at__gte=now - timedelta(hours=24)).exists():
                continue
            typical = TYPICAL_MS[probe.component.name]
            rng = random.Random(probe.component.name)  # repeatable noise
            steps = int(timedelta(hours=24) / RESULT_EVERY)
            observations = []
            for location_index, location in enumerate(LOCATIONS):
                for n in range(steps, 0, -1):
                    at = now - n * RESULT_EVERY
                    hour = at.hour + at.minute / 60
                    busy = 1 + 0.35 * math.sin((hour - 9) / 24 * 2 * math.pi)  # busiest mid-afternoon UTC
                    spike = 2.5 if rng.random() < 0.01 else 1
                    latency = typical * (1 + 0.25 * location_index) * busy * spike * rng.uniform(0.85, 1.15)
                    observations.append(Observation(True, at, round(latency, 1), location))
            record_results(probe.pk, observations)

    def _demo_subscriber(self) -> None:
        # notifications is optional for incidents; look it up here to keep the apps decoupled.
        from django.apps import apps

        if not apps.is_installed("notifications"):
            return
        Subscriber = apps.get_model("notifications", "Subscriber")
        Subscriber.objects.get_or_create(
            email=DEMO_SUBSCRIBER, defaults={"email_confirmed_at": timezone.now()}
        )
