"""What every staff API view shares: role permissions, bounded JSON, pagination, a JSON 404."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Prefetch
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import generics
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from incidents.api.pagination import StaffPagination
from incidents.api.permissions import VIEW, WRITE_INCIDENTS, RolePermission
from incidents.api.schema import StaffAPISchema
from incidents.models import Component, Incident
from incidents.page_limits import incidents_for


class LimitedJSONParser(JSONParser):
    """JSON bodies bounded like Django's form uploads (DATA_UPLOAD_MAX_MEMORY_SIZE), and in depth."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if limit is not None and length and length.isdigit() and int(length) > limit:
            raise ParseError(f"The request body is larger than {limit} bytes.")
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json gives up on deep nesting ([[[[...]]]]) with RecursionError, which DRF lets through.
            raise ParseError("JSON parse error - the body is nested too deeply.") from None


class StaffView(generics.GenericAPIView):
    schema = StaffAPISchema()
    permission_classes = [RolePermission]
    parser_classes = [LimitedJSONParser]
    pagination_class = StaffPagination
    read_permissions = VIEW
    write_permissions = WRITE_INCIDENTS


def incident_queryset(kind: str, user):
    """The user's incidents or maintenance: staff limited to pages get only those pages' (others 404)."""
    incidents = incidents_for(user, Incident.objects.filter(kind=kind))
    return incidents.prefetch_related(
        Prefetch("components", queryset=Component.objects.order_by("position", "name")), "pages"
    ).order_by("-created_at", "-id")


@csrf_exempt  # it changes nothing; CSRF's HTML 403 would hide the JSON 404
def not_found(request, *args, **kwargs) -> JsonResponse:
    """A JSON 404 for paths under the API's resources that name no object, e.g. /incidents/abc/."""
    return JsonResponse({"detail": "Not found."}, status=404)
