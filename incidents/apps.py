from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        from incidents.roles import ensure_roles

        post_migrate.connect(ensure_roles, dispatch_uid="incidents.ensure_roles")
