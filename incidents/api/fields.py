"""Serializer fields that take JSON types as they come: no quiet coercion of 1 to "1" or "true" to True."""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from incidents.models import ComponentStatus

# The largest id a bigint primary key holds; larger numbers cannot name a row.
MAX_ID = 2**63 - 1
# RFC 3339 as OpenAPI's "date-time" means it: a date, a time and an explicit offset.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$")


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictIntegerField(serializers.IntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    default_error_messages = {"invalid_choice": "Use one of: {choices}."}

    def to_internal_value(self, data):
        # Name the choices rather than echo the input, which may be megabytes long.
        if not isinstance(data, str) or data not in self.choice_strings_to_values:
            self.fail("invalid_choice", choices=", ".join(self.choice_strings_to_values))
        return self.choice_strings_to_values[data]


class StrictDateTimeField(serializers.DateTimeField):
    default_error_messages = {
        "rfc3339": "Use an RFC 3339 date-time with an offset, e.g. 2030-01-31T22:00:00Z.",
    }

    def to_internal_value(self, value):
        if not isinstance(value, str) or not RFC3339.match(value):
            self.fail("rfc3339")
        return super().to_internal_value(value)


class ComponentStatusItemSerializer(serializers.Serializer):
    id = StrictIntegerField()
    status = StrictChoiceField(choices=ComponentStatus.choices)


COMPONENT_STATUSES_SCHEMA = {
    "description": (
        "New statuses for components, either as a map of component id to status "
        '(`{"3": "major_outage"}`) or as a list (`[{"id": 3, "status": "major_outage"}]`).'
    ),
    "oneOf": [
        {
            "type": "object",
            "additionalProperties": {"type": "string", "enum": ComponentStatus.values},
        },
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "status": {"type": "string", "enum": ComponentStatus.values},
                },
                "required": ["id", "status"],
                "additionalProperties": False,
            },
        },
    ],
}


@extend_schema_field(COMPONENT_STATUSES_SCHEMA, component_name="ComponentStatuses")
class ComponentStatusesField(serializers.Field):
    """Component statuses as {id: status} or [{id, status}], validated to {int id: status}."""

    default_error_messages = {
        "invalid": "Expected a map of component id to status, or a list of {{id, status}} objects.",
        "bad_id": "Component ids are positive integers; got {given}.",
        "bad_status": "Component {id}: the status must be one of: {choices}.",
        "bad_item": "Item {index}: {errors}",
        "duplicate": "Component {id} is listed twice.",
    }

    def to_internal_value(self, data) -> dict[int, str]:
        if isinstance(data, dict):
            statuses = {}
            for key, value in data.items():
                component_id = self._id(key)
                if component_id in statuses:  # "7" and "07"
                    self.fail("duplicate", id=component_id)
                statuses[component_id] = self._status(component_id, value)
            return statuses
        if isinstance(data, list):
            statuses: dict[int, str] = {}
            for index, item in enumerate(data):
                if isinstance(item, dict) and set(item) - {"id", "status"}:
                    self.fail("bad_item", index=index, errors="only 'id' and 'status' are allowed.")
                serializer = ComponentStatusItemSerializer(data=item)
                if not serializer.is_valid():
                    self.fail("bad_item", index=index, errors=_flatten(serializer.errors))
                component_id = serializer.validated_data["id"]
                if component_id in statuses:
                    self.fail("duplicate", id=component_id)
                statuses[component_id] = serializer.validated_data["status"]
            return statuses
        self.fail("invalid")

    def to_representation(self, value):
        return {str(key): status for key, status in value.items()}

    def _id(self, key: str) -> int:
        if not (isinstance(key, str) and key.isascii() and key.isdigit() and 0 < int(key) <= MAX_ID):
            # Quote a little of it, never all: keys can be arbitrarily long.
            self.fail("bad_id", given=repr(key[:20]))
        return int(key)

    def _status(self, component_id: int, value) -> str:
        if not isinstance(value, str) or value not in ComponentStatus.values:
            self.fail("bad_status", id=component_id, choices=", ".join(ComponentStatus.values))
        return value


def _flatten(errors) -> str:
    if isinstance(errors, dict):
        return " ".join(f"{key}: {_flatten(value)}" for key, value in errors.items())
    if isinstance(errors, list):
        return " ".join(_flatten(value) for value in errors)
    return str(errors)
