"""OpenAPI for the staff API: every operation documents its error responses as the API sends them."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from incidents.api.serializers import StrictSerializer

ERROR = {
    "type": "object",
    "description": "What went wrong, in one sentence.",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERROR = {
    "type": "object",
    "description": (
        "Field errors keyed by field name (`non_field_errors` for the payload as a whole), "
        'or `detail` when the body is not JSON at all. Example: `{"name": ["This field is required."]}`.'
    ),
    "additionalProperties": {
        "anyOf": [
            {"type": "string"},
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": {}},
        ]
    },
}
ERRORS = {
    "400": ("ValidationError", VALIDATION_ERROR, "The request is invalid; nothing was stored."),
    "401": ("Error", ERROR, "No credentials, or a bad token (`Authorization: Token <key>`)."),
    "403": ("Error", ERROR, "Authenticated, but the user's role does not allow this."),
    "404": ("Error", ERROR, "No such object (or, on a list, no such page)."),
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class StaffAPISchema(AutoSchema):
    def get_override_parameters(self):
        return [
            *super().get_override_parameters(),
            OpenApiParameter(
                "WWW-Authenticate",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                response=[401],
                description='The scheme to authenticate with: "Token".',
            ),
        ]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["401", "403"]
        # Writes validate a body, lists their query (?page=, ?status=).
        if self.method in WRITE_METHODS or self._is_list_view():
            codes.append("400")
        if "{" in self.path or self._is_list_view():
            codes.append("404")
        for code in sorted(codes):
            if code in responses:
                continue
            name, schema, description = ERRORS[code]
            component = ResolvedComponent(name, ResolvedComponent.SCHEMA, schema=schema, object=name)
            self.registry.register_on_missing(component)
            responses[code] = {
                **self._get_response_for_code(component.ref, code, direction=direction),
                "description": description,
            }
        return responses

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        strict = isinstance(serializer, StrictSerializer) or (
            isinstance(serializer, type) and issubclass(serializer, StrictSerializer)
        )
        if direction == "request" and strict:
            schema["additionalProperties"] = False
            # These serializers validate the same way for PATCH: what they require stays required.
            required = [name for name, field in force_instance(serializer).fields.items() if field.required]
            if required:
                schema["required"] = required
        return schema
