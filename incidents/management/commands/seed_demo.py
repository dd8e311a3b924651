"""Load demo components, probes, an integration and a subscriber; safe to run again."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from incidents.models import Component, ComponentGroup, Integration, IntegrationKind, Probe, ProbeKind

DEMO = [
    ("API", ["Public API", "Webhooks"]),
    ("Message queue", ["Message queue us-east", "Message queue eu-west"]),
    ("Processing", ["Worker backend", "Cache"]),
]
DEMO_SUBSCRIBER = "demo-subscriber@example.com"


class Command(BaseCommand):
    help = "Create demo groups, components, one push probe each, an HTTP probe and a demo subscriber."

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
        self._demo_subscriber()

        self.stdout.write(self.style.SUCCESS("Demo data ready. Push probes:"))
        for probe in Probe.objects.filter(kind=ProbeKind.PUSH).select_related("component").order_by("pk"):
            url = settings.SITE_URL + reverse("probe-results", args=[probe.pk])
            self.stdout.write(f"  {probe.component.name:<24} {url}  secret={probe.secret}")
        url = settings.SITE_URL + reverse("alertmanager")
        self.stdout.write(f"Alertmanager webhook: {url}  secret={integration.secret}")
        self.stdout.write(f"Demo subscriber (confirmed, email): {DEMO_SUBSCRIBER}")

    def _demo_subscriber(self) -> None:
        # notifications is optional for incidents; import here to keep the apps decoupled.
        from django.apps import apps

        if not apps.is_installed("notifications"):
            return
        Subscriber = apps.get_model("notifications", "Subscriber")
        Subscriber.objects.get_or_create(
            email=DEMO_SUBSCRIBER, defaults={"email_confirmed_at": timezone.now()}
        )
