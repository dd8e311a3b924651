"""Django admin for subscribers (audited) and deliveries (read-only outcomes)."""

from __future__ import annotations

from django.contrib import admin

from notifications.models import Delivery, Subscriber
from statuspage.staff import AuditedAdmin


@admin.register(Subscriber)
class SubscriberAdmin(AuditedAdmin):
    list_display = ["__str__", "email_confirmed_at", "phone_confirmed_at", "all_components", "created_at"]
    search_fields = ["email", "phone"]
    list_filter = ["all_components"]
    filter_horizontal = ["components"]
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
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "event",
        "subscriber",
        "channel",
        "status",
        "provider_status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["channel", "status"]
    raw_id_fields = ["event", "subscriber"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # outcomes come from sending and providers, not from edits
