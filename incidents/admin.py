from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django_otp_webauthn.admin import WebAuthnCredentialAdmin
from django_otp_webauthn.models import WebAuthnCredential
from rest_framework.authtoken.admin import TokenAdmin as DRFTokenAdmin
from rest_framework.authtoken.models import TokenProxy

from incidents import page_admin  # noqa: F401  (registers the status pages' admin)
from incidents.models import (
    INCIDENT_UPDATE_STATUSES,
    MAINTENANCE_STATUSES,
    UNRESOLVED_STATUSES,
    Component,
    ComponentGroup,
    Event,
    Incident,
    IncidentStatus,
    IncidentTemplate,
    IncidentUpdate,
    Integration,
    Probe,
    ProbeLocationState,
    status_choices,
)
from incidents.monitoring.component_status import evaluate_component
from incidents.timeline.audit import audit
from incidents.timeline.incident_lifecycle import (
    declare_incident,
    edit_incident,
    post_update,
    publish_incident,
)
from statuspage.staff import AuditedAdmin, RedactingAdmin, fields_of


@admin.register(ComponentGroup)
class ComponentGroupAdmin(AuditedAdmin):
    list_display = ["name", "position"]


@admin.register(Component)
class ComponentAdmin(AuditedAdmin):
    list_display = ["name", "group", "status", "position"]
    list_filter = ["group", "status"]
    # Status changes go through the timeline and monitoring verbs so they are logged as events.
    readonly_fields = ["status"]


class ProbeLocationInline(admin.TabularInline):
    model = ProbeLocationState
    fields = ["location", "is_down", "is_slow", "consecutive_failures", "last_result_at", "last_message"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Probe)
class ProbeAdmin(AuditedAdmin):
    list_display = ["name", "component", "kind", "interval_seconds", "is_active", "last_result_at"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["ping_uuid", "ping_url", "last_result_at", "next_run_at"]
    inlines = [ProbeLocationInline]
    # Whoever holds a probe's secret or ping URL can report it down (and so notify subscribers).
    admin_only_fields = ("secret", "ping_uuid", "ping_url")

    @admin.display(description="Ping URL (heartbeats)")
    def ping_url(self, obj) -> str:
        if not obj.pk:
            return "-"
        return settings.SITE_URL + reverse("ping", args=[obj.ping_uuid])

    def save_model(self, request, obj, form, change):
        if not change or {"kind", "interval_seconds", "is_active"} & set(form.changed_data):
            obj.next_run_at = None  # scheduled afresh by the next dispatch
        super().save_model(request, obj, form, change)
        if change and {"is_active", "quorum", "component"} & set(form.changed_data):
            with transaction.atomic():
                evaluate_component(obj.component_id)  # a paused probe stops holding it down


@admin.register(Integration)
class IntegrationAdmin(AuditedAdmin):
    list_display = ["name", "kind", "created_at"]
    admin_only_fields = ("secret",)


class IncidentAddForm(forms.ModelForm):
    message = forms.CharField(widget=forms.Textarea, help_text="The first public update.")

    class Meta:
        model = Incident
        fields = ["name", "status", "impact", "components"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = status_choices(UNRESOLVED_STATUSES)


class IncidentChangeForm(forms.ModelForm):
    update_status = forms.ChoiceField(
        choices=[("", "(no new update)"), *IncidentStatus.choices], required=False
    )
    update_message = forms.CharField(widget=forms.Textarea, required=False)

    class Meta:
        model = Incident
        fields = ["name", "impact", "components"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = MAINTENANCE_STATUSES if self.instance.is_maintenance else INCIDENT_UPDATE_STATUSES
        self.fields["update_status"].choices = [
            ("", "(no new update)"),
            *status_choices(statuses),
        ]

    def clean(self):
        data = super().clean()
        if bool(data.get("update_status")) != bool(data.get("update_message", "").strip()):
            raise forms.ValidationError("A new update needs both a status and a message.")
        return data


class IncidentUpdateInline(admin.TabularInline):
    model = IncidentUpdate
    fields = ["created_at", "status", "body"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "impact", "is_published", "auto_created", "created_at"]
    list_filter = ["status", "impact", "is_published", "auto_created"]
    actions = ["publish"]
    filter_horizontal = ["components"]
    inlines = [IncidentUpdateInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = IncidentChangeForm if obj else IncidentAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "status", "impact", "components", "message"]
        return ["name", "status", "impact", "components", "update_status", "update_message"]

    def get_readonly_fields(self, request, obj=None):
        return ["status"] if obj else []

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            created = declare_incident(
                data["name"],
                data["message"],
                data["status"],
                {},
                impact=data["impact"],
                components=data["components"],
                actor=request.user,
            )
            obj.pk = created.pk  # the admin's messages and redirect name this incident
            return
        edit_incident(obj, {f: data[f] for f in ("name", "impact", "components")}, actor=request.user)
        if data.get("update_status"):
            post_update(obj, data["update_status"], data["update_message"].strip(), actor=request.user)

    def save_related(self, request, form, formsets, change):
        # The verbs above set the components: no form.save_m2m() here. The update inline is read-only.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.action(description="Publish selected drafts and notify subscribers")
    def publish(self, request, queryset):
        published = sum(publish_incident(incident, actor=request.user) for incident in queryset)
        self.message_user(request, f"Published {published} incident(s).")


@admin.register(IncidentTemplate)
class IncidentTemplateAdmin(AuditedAdmin):
    list_display = ["name", "title", "status", "impact"]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["kind", "created_at", "component", "incident"]
    list_filter = ["kind"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(RedactingAdmin, DRFTokenAdmin):
    """Staff API tokens: Admins make and see their own (a superuser anyone's); each is audited.

    The audit entry names the token's user, never the key (a token's id and name are its key).
    """

    admin_only_fields = ("key",)
    personal_objects = True  # its str() is the key

    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = db_field.related_model.objects.filter(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit(request.user, f"admin.token.{'changed' if change else 'added'}", obj.user, None, fields_of(obj))

    def delete_model(self, request, obj):
        audit(request.user, "admin.token.deleted", obj.user, fields_of(obj), None)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("user"):
            audit(request.user, "admin.token.deleted", obj.user, fields_of(obj), None)
        super().delete_queryset(request, queryset)


# Passkeys: the package leaves registering its admin to the project. A superuser removes a lost one
# here (and a lost phone's app under TOTP devices), like the authenticator apps and recovery codes.
admin.site.register(WebAuthnCredential, WebAuthnCredentialAdmin)
