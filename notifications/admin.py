"""Django admin for subscribers (audited) and deliveries (read-only outcomes)."""

from __future__ import annotations

from django.contrib import admin

from notifications.models import Delivery, Subscriber
from statuspage.staff import AuditedAdmin, RedactingAdmin, is_admin, mask_addresses


@admin.register(Subscriber)
class SubscriberAdmin(AuditedAdmin):
    # Addresses are personal data: Admins only, like the console's subscriber pages.
    admin_only_fields = ("email", "phone")
    personal_objects = True
    list_display = [
        "__str__",
        "page",
        "email_confirmed_at",
        "phone_confirmed_at",
        "all_components",
        "created_at",
    ]
    search_fields = ["email", "phone"]
    list_filter = ["page", "all_components"]
    filter_horizontal = ["components"]
    # A subscriber added here joins the default page (the model's default); the list shows each one's page.
    fields = [
        "email",
        "phone",
        "email_confirmed_at",
        "phone_confirmed_at",
        "email_opted_out_at",
        "phone_opted_out_at",
        "email_suppressed_at",
        "phone_suppressed_at",
        "all_components",
        "components",
        "event_kinds",
    ]


@admin.register(Delivery)
class DeliveryAdmin(RedactingAdmin):
    list_display = [
        "pk",
        "event",
        "subscriber",
        "subscriber_ref",
        "channel",
        "status",
        "provider_status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["channel", "status"]
    raw_id_fields = ["event", "subscriber"]
    # A subscriber is named by its address, and providers' errors quote it: Admins only.
    admin_only_fields = ("subscriber", "error")

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return [name for name in shown if name != "subscriber_ref"] if is_admin(request.user) else shown

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return fields if is_admin(request.user) else [*fields, "subscriber_ref", "error_shown"]

    @admin.display(description="Subscriber")
    def subscriber_ref(self, obj) -> str:
        return f"#{obj.subscriber_id}"

    @admin.display(description="Error")
    def error_shown(self, obj) -> str:
        return mask_addresses(obj.error)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # outcomes come from sending and providers, not from edits
