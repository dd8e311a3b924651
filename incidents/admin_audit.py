"""Audit every change made in the Django admin, like the console's, with before and after."""

from __future__ import annotations

import json

from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from incidents.services import audit

HIDDEN = {"secret", "password", "phone_code_hash"}


def fields_of(obj: models.Model) -> dict:
    data = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        data[field.attname] = "(hidden)" if field.name in HIDDEN and value else value
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


class AuditedAdmin(admin.ModelAdmin):
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
