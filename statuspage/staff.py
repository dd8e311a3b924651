"""Staff: the roles, console access, and the audited admin both apps use."""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.auth.decorators import login_required, permission_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from incidents.timeline.audit import audit

# Roles as Django groups: Viewer, Responder, Admin (each includes the one before).
VIEWER = [
    "incidents.view_console",
    "incidents.view_incident",
    "incidents.view_component",
    "incidents.view_probe",
    "incidents.view_auditentry",
    "incidents.view_incidenttemplate",
]
RESPONDER = [
    *VIEWER,
    "incidents.add_incident",
    "incidents.change_incident",
    "incidents.add_incidentupdate",
    "incidents.change_component_status",
]
ADMIN = [
    *RESPONDER,
    *(
        f"{app}.{verb}_{model}"
        for app, model in [
            ("incidents", "component"),
            ("incidents", "componentgroup"),
            ("incidents", "probe"),
            ("incidents", "integration"),
            ("incidents", "incidenttemplate"),
            ("notifications", "subscriber"),
        ]
        for verb in ("view", "add", "change", "delete")
    ),
]
ROLES = {"Viewer": VIEWER, "Responder": RESPONDER, "Admin": ADMIN}


def ensure_roles(**kwargs) -> None:
    """Create or refresh the role groups after migrations (permissions exist by then)."""
    from django.contrib.auth.models import Group, Permission

    for name, perms in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.extend(Permission.objects.filter(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


def console_view(*perms: str):
    """Staff console access: logged in (else to the login page) and holding the permissions (else 403)."""

    def decorate(view):
        return login_required(
            permission_required(("incidents.view_console", *perms), raise_exception=True)(view)
        )

    return decorate


HIDDEN = {"secret", "password", "phone_code_hash"}


def fields_of(obj: models.Model) -> dict:
    data = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        data[field.attname] = "(hidden)" if field.name in HIDDEN and value else value
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


class AuditedAdmin(admin.ModelAdmin):
    """Audit every change made in the Django admin, like the console's, with before and after."""

    def save_model(self, request, obj, form, change):
        stored = type(obj).objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        action = f"admin.{obj._meta.model_name}.{'changed' if change else 'added'}"
        audit(request.user, action, obj, fields_of(stored) if stored else None, fields_of(obj))

    def delete_model(self, request, obj):
        # Recorded first, while the row still has its id; the delete's transaction covers both.
        audit(request.user, f"admin.{obj._meta.model_name}.deleted", obj, fields_of(obj), None)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit(request.user, f"admin.{obj._meta.model_name}.deleted", obj, fields_of(obj), None)
        super().delete_queryset(request, queryset)
