"""Load demo components and push probes; safe to run again."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django.urls import reverse

from incidents.models import Component, ComponentGroup, Probe

DEMO = [
    ("API", ["Public API", "Webhooks"]),
    ("Message queue", ["Message queue us-east", "Message queue eu-west"]),
    ("Processing", ["Worker backend", "Cache"]),
]


class Command(BaseCommand):
    help = "Create demo component groups, components and one push probe each (idempotent)."

    def handle(self, *args, **options) -> None:
        position = 0
        for group_position, (group_name, names) in enumerate(DEMO):
            group, _ = ComponentGroup.objects.get_or_create(
                name=group_name, defaults={"position": group_position}
            )
            for name in names:
                position += 1
                component, _ = Component.objects.get_or_create(
                    name=name, defaults={"group": group, "position": position}
                )
                Probe.objects.get_or_create(component=component, name="push")
        self.stdout.write(self.style.SUCCESS("Demo data ready. Push probes:"))
        for probe in Probe.objects.select_related("component").order_by("pk"):
            url = settings.SITE_URL + reverse("probe-results", args=[probe.pk])
            self.stdout.write(f"  {probe.component.name:<24} {url}  secret={probe.secret}")
