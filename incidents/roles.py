"""Staff roles as Django groups: Viewer, Responder, Admin (each includes the one before)."""

from __future__ import annotations

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
