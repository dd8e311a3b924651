"""Staff: the roles, console access, and the audited admin both apps use."""

from __future__ import annotations

import hashlib
import json
import re

from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.contrib.auth.decorators import login_required, permission_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.text import capfirst
from django.views.decorators.cache import never_cache

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
            ("incidents", "statuspage"),
            ("incidents", "pagehost"),
            ("incidents", "pagecomponent"),
            ("notifications", "subscriber"),
        ]
        for verb in ("view", "add", "change", "delete")
    ),
    # Staff API tokens, their own only (incidents/admin.py TokenAdmin); a superuser makes anyone's.
    "authtoken.view_tokenproxy",
    "authtoken.add_tokenproxy",
    "authtoken.delete_tokenproxy",
]
# What makes someone an Admin: everything the Admin role grants beyond a Responder's (a superuser
# holds every permission). Secrets and subscribers' addresses are shown to Admins only.
ADMIN_ONLY = tuple(sorted(set(ADMIN) - set(RESPONDER)))
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
    """Staff console access: logged in (else to the login page) and holding the permissions (else 403).

    Never cached: a console page holds what its reader's role may see, not what the next one may.
    """

    def decorate(view):
        return never_cache(
            login_required(
                permission_required(("incidents.view_console", *perms), raise_exception=True)(view)
            )
        )

    return decorate


def is_admin(user) -> bool:
    """Whether the user holds the Admin role (or is a superuser): who may see secrets and addresses."""
    return bool(user and user.is_active and user.has_perms(ADMIN_ONLY))


# Credentials: a probe's or integration's secret, a heartbeat's ping UUID (whoever knows it can
# mark a component down), an API token's key. Never stored in the audit log, never filterable.
HIDDEN = {"secret", "ping_uuid", "key", "password", "phone_code_hash", "link_key", "token_hash", "code_hash"}
# A status page's password hash and the key of its share links (incidents/models/pages.py).
HIDDEN |= {"password_hash", "share_key"}
# Personal data: subscribers' addresses. Stored in the audit log, shown to Admins only.
PERSONAL = {"email", "phone"}
# Models whose str() is personal data (a subscriber is named by its address).
PERSONAL_TARGETS = {"notifications.Subscriber"}
MASK = "(hidden)"
CHANGED = "(changed)"


def fields_of(obj: models.Model) -> dict:
    """A JSON-safe picture of every field for the audit log, credentials replaced by a mark."""
    data = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if isinstance(value, bytes | memoryview):  # a page's logo: its size and digest
            value = f"{len(value):,} bytes, sha256 {hashlib.sha256(value).hexdigest()[:16]}" if value else ""
        data[field.attname] = MASK if field.name in HIDDEN and value else value
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _changed_credentials(stored: models.Model, obj: models.Model, after: dict) -> dict:
    """Say that a credential changed (a rotated secret is worth knowing) without saying to what."""
    for field in obj._meta.concrete_fields:
        if field.name in HIDDEN and getattr(stored, field.attname) != getattr(obj, field.attname):
            after[field.attname] = CHANGED
    return after


def redacted(data: dict | None, user) -> dict | None:
    """An audit entry's before/after as this user may see it.

    Credentials are masked for everyone (entries written before they stopped being stored still
    hold them); addresses for everyone but Admins.
    """
    if not data:
        return data
    hide = HIDDEN if is_admin(user) else HIDDEN | PERSONAL
    return {
        key: MASK if key in hide and value not in (None, "", MASK, CHANGED) else value
        for key, value in data.items()
    }


def target_shown(entry, user) -> str:
    """What an audit entry names as its target: a subscriber's address only for Admins."""
    if entry.target_type in PERSONAL_TARGETS and not is_admin(user):
        return f"subscriber #{entry.target_id}"
    return entry.target_repr


_EMAIL = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")
_NUMBER = re.compile(r"\+?\d[\d ().-]*\d")


def mask_addresses(text: str) -> str:
    """Remove email addresses and phone numbers from free text (a provider's error message).

    A run of 7 or more digits is taken for a phone number; error codes like "550 5.1.1" stay.
    """
    text = _EMAIL.sub("(address hidden)", text)
    return _NUMBER.sub(lambda m: "(number hidden)" if sum(c.isdigit() for c in m[0]) >= 7 else m[0], text)


class RedactingAdmin(admin.ModelAdmin):
    """An admin that shows `admin_only_fields` to Admins only and lets nobody filter on credentials.

    The Django admin accepts a lookup on any field in the query string (?secret__startswith=a):
    that is an oracle for a secret a role may not read, so such lookups are refused.
    `personal_objects`: the model's str() is an address, so only Admins open its objects.
    """

    admin_only_fields: tuple[str, ...] = ()
    personal_objects = False

    def _hides(self, request) -> bool:
        return bool(self.admin_only_fields) and not is_admin(request.user)

    def _without(self, names, request, note: bool = False) -> list:
        names = list(names or [])
        if not self._hides(request):
            return names
        kept = [name for name in names if name not in self.admin_only_fields]
        if note and "hidden_for_your_role" not in kept:
            kept.append("hidden_for_your_role")
        return kept

    @admin.display(description="Hidden")
    def hidden_for_your_role(self, obj) -> str:
        labels = [capfirst(label_for_field(name, self.model, self)) for name in self.admin_only_fields]
        return f"{', '.join(labels)}: shown to Admins only."

    def get_fields(self, request, obj=None):
        return self._without(super().get_fields(request, obj), request, note=True)

    def get_readonly_fields(self, request, obj=None):
        return self._without(super().get_readonly_fields(request, obj), request, note=True)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        return [*exclude, *self.admin_only_fields] if self._hides(request) else exclude or None

    def get_list_display(self, request):
        return self._without(super().get_list_display(request), request)

    def get_search_fields(self, request):
        return self._without(super().get_search_fields(request), request)

    def _opens(self, request) -> bool:
        return not self.personal_objects or is_admin(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return self._opens(request) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._opens(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._opens(request) and super().has_delete_permission(request, obj)

    def lookup_allowed(self, lookup, value, request) -> bool:
        field = lookup.split("__", 1)[0]
        if field in HIDDEN or (field in self.admin_only_fields and not is_admin(request.user)):
            return False
        return super().lookup_allowed(lookup, value, request)


class AuditedAdmin(RedactingAdmin):
    """Audit every change made in the Django admin, like the console's, with before and after."""

    def save_model(self, request, obj, form, change):
        stored = type(obj).objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        action = f"admin.{obj._meta.model_name}.{'changed' if change else 'added'}"
        after = fields_of(obj)
        if stored:
            after = _changed_credentials(stored, obj, after)
        audit(request.user, action, obj, fields_of(stored) if stored else None, after)

    def delete_model(self, request, obj):
        # Recorded first, while the row still has its id; the delete's transaction covers both.
        audit(request.user, f"admin.{obj._meta.model_name}.deleted", obj, fields_of(obj), None)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit(request.user, f"admin.{obj._meta.model_name}.deleted", obj, fields_of(obj), None)
        super().delete_queryset(request, queryset)
