"""What the staff API reads and writes; input serializers reject unknown fields and coerce nothing."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from incidents.api.fields import (
    ComponentStatusesField,
    StrictBooleanField,
    StrictCharField,
    StrictChoiceField,
    StrictDateTimeField,
    StrictIntegerField,
)
from incidents.api.page_choice import (
    AttachedPagesField,
    PageFilterSerializer,
    PagesField,
    refuse_other_components,
    user_of,
)
from incidents.models import (
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    UNRESOLVED_STATUSES,
    Component,
    ComponentStatus,
    Impact,
    Incident,
    IncidentUpdate,
    status_choices,
)
from incidents.models import INCIDENT_UPDATE_STATUSES as UPDATE_STATUSES
from incidents.page_limits import needs_a_page

NAME_MAX_LENGTH = Incident._meta.get_field("name").max_length
# Updates go out by email and SMS; a bound keeps one request from storing megabytes.
BODY_MAX_LENGTH = 10_000
# Statuses an incident is declared with, and those an update may move it to (as the console offers).
INCIDENT_STATUS_CHOICES = status_choices(INCIDENT_STATUSES)
DECLARE_STATUSES = status_choices(UNRESOLVED_STATUSES)
INCIDENT_UPDATE_STATUSES = status_choices(UPDATE_STATUSES)
MAINTENANCE_UPDATE_STATUSES = status_choices(MAINTENANCE_STATUSES)


# --- Output


class ComponentGroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class ComponentSerializer(serializers.ModelSerializer):
    group = ComponentGroupRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Component
        fields = ["id", "name", "description", "group", "position", "status", "in_maintenance", "updated_at"]
        read_only_fields = fields


class ComponentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Component
        fields = ["id", "name", "status"]
        read_only_fields = fields


class AffectedComponentSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True, help_text="The component id, as a string.")
    name = serializers.CharField(read_only=True)
    old_status = serializers.ChoiceField(choices=ComponentStatus.choices, read_only=True)
    new_status = serializers.ChoiceField(choices=ComponentStatus.choices, read_only=True)


class IncidentUpdateSerializer(serializers.ModelSerializer):
    affected_components = AffectedComponentSerializer(many=True, read_only=True)
    created_by = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="The username of who posted it; null for automatic updates.",
    )

    class Meta:
        model = IncidentUpdate
        fields = ["id", "status", "body", "affected_components", "created_by", "created_at"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=INCIDENT_STATUS_CHOICES, read_only=True)
    components = ComponentRefSerializer(many=True, read_only=True)
    pages = AttachedPagesField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "name",
            "status",
            "impact",
            "is_published",
            "auto_created",
            "components",
            "pages",
            "created_at",
            "updated_at",
            "monitoring_at",
            "resolved_at",
            "postmortem_published_at",
        ]
        read_only_fields = fields


class MaintenanceSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=MAINTENANCE_UPDATE_STATUSES, read_only=True)
    components = ComponentRefSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "id",
            "name",
            "status",
            "impact",
            "is_published",
            "components",
            "scheduled_for",
            "scheduled_until",
            "auto_transition",
            "created_at",
            "updated_at",
            "resolved_at",
        ]
        read_only_fields = fields


# --- Input


class StrictSerializer(serializers.Serializer):
    # Unknown fields are rejected: a typo such as "publsh" must not pass silently.

    # Why a field someone may expect is not accepted here.
    refused_fields: dict[str, str] = {}

    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, dict):
            for name in sorted(set(data) - set(self.fields))[:20]:
                unknown[name[:50]] = [self.refused_fields.get(name, "Unknown field.")]
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if unknown and isinstance(exc.detail, dict):
                raise serializers.ValidationError({**unknown, **exc.detail}) from None
            raise
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


def known_components(ids, allowed=None) -> None:
    """Raise unless every id names a component (and, given `allowed`, one of those)."""
    ids = set(ids)
    existing = set(Component.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = sorted(ids - existing)
    if missing:
        raise serializers.ValidationError(f"Unknown component id(s): {', '.join(map(str, missing[:20]))}.")
    if allowed is not None:
        outside = sorted(ids - set(allowed))
        if outside:
            raise serializers.ValidationError(
                f"Component(s) {', '.join(map(str, outside[:20]))} are not part of this incident."
            )


class IncidentCreateSerializer(StrictSerializer):
    """A new incident with its first update and the statuses of the components it affects."""

    name = StrictCharField(max_length=NAME_MAX_LENGTH)
    status = StrictChoiceField(choices=DECLARE_STATUSES)
    impact = StrictChoiceField(
        choices=Impact.choices,
        required=False,
        allow_null=True,
        help_text="Left out or null, the worst of the new component statuses sets it.",
    )
    body = StrictCharField(max_length=BODY_MAX_LENGTH, help_text="The first update's message.")
    components = ComponentStatusesField(
        required=False,
        help_text=(
            "The affected components and their new statuses. Left out or empty, a general incident "
            "(as Statuspage allows), whose impact is then `none` unless given."
        ),
    )
    publish = StrictBooleanField(
        default=True, help_text="Publish and notify subscribers now; false saves a draft."
    )
    pages = PagesField(required=False)

    def validate_components(self, value: dict[int, str]) -> dict[int, str]:
        known_components(value)
        refuse_other_components(user_of(self), value)
        return value

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if not attrs.get("components") and needs_a_page(user_of(self), attrs.get("pages")):
            raise serializers.ValidationError({"pages": ["Name one of your pages for a general incident."]})
        return attrs


class IncidentEditSerializer(StrictSerializer):
    """New name and/or impact; the status changes through updates."""

    name = StrictCharField(max_length=NAME_MAX_LENGTH, required=False)
    impact = StrictChoiceField(choices=Impact.choices, required=False)
    pages = PagesField(required=False)

    refused_fields = {
        "status": "Change the status by posting an update.",
        "components": "Set component statuses by posting an update.",
        "is_published": "Publish a draft with POST .../publish/.",
    }


class UpdateCreateSerializer(StrictSerializer):
    """An update on the incident's timeline: its new status, a message, component statuses."""

    status = StrictChoiceField(choices=INCIDENT_UPDATE_STATUSES)
    body = StrictCharField(max_length=BODY_MAX_LENGTH)
    components = ComponentStatusesField(
        required=False, help_text="New statuses for some of this incident's components."
    )

    def validate_components(self, value: dict[int, str]) -> dict[int, str]:
        incident = self.context["incident"]
        known_components(value, allowed=incident.components.values_list("pk", flat=True))
        refuse_other_components(user_of(self), value)
        return value


class MaintenanceUpdateCreateSerializer(UpdateCreateSerializer):
    """An update on the maintenance's timeline: its new status, a message, component statuses."""

    status = StrictChoiceField(choices=MAINTENANCE_UPDATE_STATUSES)


class MaintenanceCreateSerializer(StrictSerializer):
    """A maintenance window, announced to subscribers when it is scheduled."""

    name = StrictCharField(max_length=NAME_MAX_LENGTH)
    body = StrictCharField(max_length=BODY_MAX_LENGTH, help_text="The announcement's message.")
    components = serializers.ListField(
        child=StrictIntegerField(), min_length=1, max_length=1000, help_text="Ids of the affected components."
    )
    scheduled_for = StrictDateTimeField(help_text="Start of the window (RFC 3339, with an offset).")
    scheduled_until = StrictDateTimeField(help_text="End of the window; after the start and in the future.")
    auto_transition = StrictBooleanField(
        default=True, help_text="Start and complete the maintenance automatically at these times."
    )

    def validate_components(self, value: list[int]) -> list[int]:
        known_components(value)
        refuse_other_components(user_of(self), value)
        return list(dict.fromkeys(value))

    def validate(self, attrs):
        attrs = super().validate(attrs)
        start, end = attrs["scheduled_for"], attrs["scheduled_until"]
        errors = {}
        if end <= start:
            errors["scheduled_until"] = ["The end must be after the start."]
        elif end <= timezone.now():
            errors["scheduled_until"] = ["The end is already in the past."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ComponentStatusSerializer(StrictSerializer):
    """The status to set by hand."""

    status = StrictChoiceField(choices=ComponentStatus.choices)


class StatusFilterSerializer(PageFilterSerializer):
    status = serializers.ChoiceField(
        choices=INCIDENT_STATUS_CHOICES, required=False, help_text="Only this status."
    )


class MaintenanceStatusFilterSerializer(PageFilterSerializer):
    status = serializers.ChoiceField(
        choices=MAINTENANCE_UPDATE_STATUSES, required=False, help_text="Only this status."
    )
