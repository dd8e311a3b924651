from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


class IncidentsConfig(AppConfig):
    name = "incidents"

    def ready(self) -> None:
        from incidents import models
        from incidents.event_log import event_recorded
        from incidents.public import page_routing, snapshots
        from incidents.timeline import auto_incidents, page_setup
        from statuspage.staff import ensure_roles

        post_migrate.connect(ensure_roles, dispatch_uid="incidents.ensure_roles")
        # Monitoring reports a confirmed outage through the event log; the timeline opens its incident.
        event_recorded.connect(auto_incidents.on_event, dispatch_uid="incidents.auto_incidents")
        # Anything the public page shows changed: rebuild its snapshots once the change commits.
        event_recorded.connect(snapshots.rebuild_after_commit, dispatch_uid="snapshots.event")
        post_save.connect(page_setup.place_new_component, sender=models.Component, dispatch_uid="pages.new")
        post_delete.connect(snapshots.remove_host_files, sender=models.PageHost, dispatch_uid="pages.host")
        for model in (models.StatusPage, models.PageHost):
            for signal in (post_save, post_delete):
                signal.connect(
                    page_routing.forget_pages, sender=model, dispatch_uid=f"pages.{model.__name__}.{signal}"
                )
        shown = (
            models.Component,
            models.ComponentGroup,
            models.Incident,
            models.IncidentUpdate,
            models.StatusPage,
            models.PageHost,
            models.PageComponent,
        )
        for model in shown:
            for signal in (post_save, post_delete):
                signal.connect(
                    snapshots.rebuild_after_commit,
                    sender=model,
                    dispatch_uid=f"snapshots.{model.__name__}.{signal}",
                )
