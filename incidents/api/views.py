"""The staff REST API: the console's operations, over token auth, through the same timeline verbs."""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from incidents.api import serializers as s
from incidents.api.base import StaffView, incident_queryset
from incidents.api.permissions import SET_COMPONENT_STATUS
from incidents.models import (
    Component,
    Incident,
    IncidentKind,
    IncidentUpdate,
)
from incidents.page_limits import components_for, incidents_for, keep_others
from incidents.timeline.incident_lifecycle import (
    declare_incident,
    edit_incident,
    post_update,
    publish_incident,
)
from incidents.timeline.maintenance import schedule_maintenance
from incidents.timeline.staff_status import set_status_by_staff


class KindListView(StaffView, generics.ListCreateAPIView):
    kind: str
    filter_serializer_class: type[s.serializers.Serializer]

    def get_queryset(self):
        return incident_queryset(self.kind, self.request.user)

    def filter_queryset(self, queryset):
        # A plain dict: from a QueryDict, DRF would take "?status=" as no filter at all.
        query = self.filter_serializer_class(
            data=self.request.query_params.dict(), context=self.get_serializer_context()
        )
        query.is_valid(raise_exception=True)
        if query.validated_data.get("status"):
            queryset = queryset.filter(status=query.validated_data["status"])
        if query.validated_data.get("status_page"):
            queryset = incidents_for(self.request.user, queryset, query.validated_data["status_page"])
        return queryset

    def created(self, incident: Incident) -> Response:
        incident = get_object_or_404(self.get_queryset(), pk=incident.pk)
        return Response(self.get_serializer(incident).data, status=status.HTTP_201_CREATED)


class IncidentList(KindListView):
    kind = IncidentKind.INCIDENT
    serializer_class = s.IncidentSerializer
    filter_serializer_class = s.StatusFilterSerializer

    @extend_schema(summary="List incidents, drafts included", parameters=[s.StatusFilterSerializer])
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        summary="Declare an incident",
        description="Opens the incident with its first update; published at once unless `publish` is false.",
        request=s.IncidentCreateSerializer,
        responses={201: s.IncidentSerializer},
    )
    def post(self, request, *args, **kwargs):
        payload = s.IncidentCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        incident = declare_incident(
            data["name"],
            data["body"],
            data["status"],
            data.get("components", {}),
            impact=data.get("impact"),
            publish=data["publish"],
            pages=data.get("pages", ()),
            actor=request.user,
        )
        return self.created(incident)


class MaintenanceList(KindListView):
    kind = IncidentKind.MAINTENANCE
    serializer_class = s.MaintenanceSerializer
    filter_serializer_class = s.MaintenanceStatusFilterSerializer

    def get_queryset(self):
        return super().get_queryset().order_by("-scheduled_for", "-id")

    @extend_schema(summary="List scheduled maintenance", parameters=[s.MaintenanceStatusFilterSerializer])
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    @extend_schema(
        summary="Schedule maintenance",
        description="Announced (and subscribers notified) at once, as in the console.",
        request=s.MaintenanceCreateSerializer,
        responses={201: s.MaintenanceSerializer},
    )
    def post(self, request, *args, **kwargs):
        payload = s.MaintenanceCreateSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        incident = schedule_maintenance(
            data["name"],
            data["body"],
            Component.objects.filter(pk__in=data["components"]),
            data["scheduled_for"],
            data["scheduled_until"],
            auto_transition=data["auto_transition"],
            actor=request.user,
        )
        return self.created(incident)


class IncidentDetail(StaffView, generics.RetrieveUpdateAPIView):
    http_method_names = ["get", "patch", "head", "options"]
    serializer_class = s.IncidentSerializer

    def get_queryset(self):
        return incident_queryset(IncidentKind.INCIDENT, self.request.user)

    @extend_schema(summary="An incident")
    def get(self, request, *args, **kwargs):
        return self.retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Rename an incident, change its impact or the pages it is attached to",
        description=(
            "Status and component statuses change through updates (`.../updates/`). `pages` replaces "
            "the pages you may touch; the incident stays on other pages it is attached to."
        ),
        request=s.IncidentEditSerializer,
        responses={200: s.IncidentSerializer},
    )
    def patch(self, request, *args, **kwargs):
        incident = self.get_object()
        payload = s.IncidentEditSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        if "pages" in changes:
            changes["pages"] = keep_others(request.user, incident, changes["pages"])
        with transaction.atomic():
            edit_incident(incident, changes, actor=request.user)
            if not self.get_queryset().filter(pk=incident.pk).exists():  # undone: it would be lost
                raise ValidationError({"pages": ["This would take the incident off all your pages."]})
        return Response(self.get_serializer(self.get_object()).data)


class MaintenanceDetail(StaffView, generics.RetrieveAPIView):
    serializer_class = s.MaintenanceSerializer

    def get_queryset(self):
        return incident_queryset(IncidentKind.MAINTENANCE, self.request.user)

    @extend_schema(summary="A scheduled maintenance")
    def get(self, request, *args, **kwargs):
        return self.retrieve(request, *args, **kwargs)


class UpdateList(StaffView, generics.ListCreateAPIView):
    """An incident's or maintenance's timeline, newest first."""

    kind: str
    input_serializer_class: type[s.UpdateCreateSerializer]
    serializer_class = s.IncidentUpdateSerializer

    def get_incident(self) -> Incident:
        if not hasattr(self, "_incident"):
            visible = incidents_for(self.request.user, Incident.objects.filter(kind=self.kind))
            self._incident = get_object_or_404(visible, pk=self.kwargs["pk"])
        return self._incident

    def get_queryset(self):
        return (
            IncidentUpdate.objects.filter(incident=self.get_incident())
            .select_related("created_by")
            .order_by("-created_at", "-id")
        )

    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        incident = self.get_incident()
        context = {**self.get_serializer_context(), "incident": incident}
        payload = self.input_serializer_class(data=request.data, context=context)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        update = post_update(
            incident,
            data["status"],
            data["body"],
            component_statuses=data.get("components") or {},
            actor=request.user,
        )
        update = IncidentUpdate.objects.select_related("created_by").get(pk=update.pk)
        return Response(self.get_serializer(update).data, status=status.HTTP_201_CREATED)


class IncidentUpdateList(UpdateList):
    kind = IncidentKind.INCIDENT
    input_serializer_class = s.UpdateCreateSerializer

    @extend_schema(summary="An incident's updates, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Post an update to an incident",
        description=(
            "Moves the incident to the update's status and sets the given statuses of its components. "
            "Resolving restores the components not named here."
        ),
        request=s.UpdateCreateSerializer,
        responses={201: s.IncidentUpdateSerializer},
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class MaintenanceUpdateList(UpdateList):
    kind = IncidentKind.MAINTENANCE
    input_serializer_class = s.MaintenanceUpdateCreateSerializer

    @extend_schema(summary="A maintenance's updates, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Post an update to a maintenance",
        description="E.g. start it early (`in_progress`) or complete it (`completed`).",
        request=s.MaintenanceUpdateCreateSerializer,
        responses={201: s.IncidentUpdateSerializer},
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


class IncidentPublish(StaffView):
    serializer_class = s.IncidentSerializer

    def get_queryset(self):
        return incident_queryset(IncidentKind.INCIDENT, self.request.user)

    @extend_schema(
        summary="Publish a draft incident",
        description="Makes a draft public and notifies subscribers; a public incident is left as it is.",
        request=None,
        responses={200: s.IncidentSerializer},
        operation_id="incidents_publish",
    )
    def post(self, request, *args, **kwargs):
        incident = self.get_object()
        publish_incident(incident, actor=request.user)
        return Response(self.get_serializer(self.get_object()).data)


class ComponentList(StaffView, generics.ListAPIView):
    serializer_class = s.ComponentSerializer

    def get_queryset(self):
        components = components_for(self.request.user).select_related("group")
        return components.order_by("position", "name", "id")

    @extend_schema(summary="List components")
    def get(self, request, *args, **kwargs):
        return self.list(request, *args, **kwargs)


class ComponentDetail(StaffView, generics.RetrieveUpdateAPIView):
    http_method_names = ["get", "patch", "head", "options"]
    serializer_class = s.ComponentSerializer
    write_permissions = SET_COMPONENT_STATUS

    def get_queryset(self):
        return components_for(self.request.user).select_related("group")

    @extend_schema(summary="A component")
    def get(self, request, *args, **kwargs):
        return self.retrieve(request, *args, **kwargs)

    @extend_schema(
        summary="Set a component's status by hand",
        description="Probes take over again at their next change of state.",
        request=s.ComponentStatusSerializer,
        responses={200: s.ComponentSerializer},
    )
    def patch(self, request, *args, **kwargs):
        component = self.get_object()
        payload = s.ComponentStatusSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        set_status_by_staff(component, payload.validated_data["status"], actor=request.user)
        return Response(self.get_serializer(self.get_object()).data)
