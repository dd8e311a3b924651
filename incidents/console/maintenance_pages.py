from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from incidents.console.forms import ComponentStatusForm, MaintenanceForm
from incidents.console.incident_pages import RESPONDER
from incidents.models import ComponentStatus
from incidents.page_limits import components_for
from incidents.timeline.maintenance import schedule_maintenance
from incidents.timeline.staff_status import set_status_by_staff
from statuspage.staff import console_view


@console_view(*RESPONDER)
def schedule(request: HttpRequest) -> HttpResponse:
    form = MaintenanceForm(
        request.POST if request.method == "POST" else None,
        components=components_for(request.user),
        initial={"auto_transition": True},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        incident = schedule_maintenance(
            data["name"],
            data["body"],
            data["components"],
            data["scheduled_for"],
            data["scheduled_until"],
            auto_transition=data["auto_transition"],
            actor=request.user,
        )
        messages.success(request, "Maintenance scheduled. Subscribers are being notified.")
        return redirect("console-incident", incident.pk)
    return render(request, "console/maintenance.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@console_view("incidents.change_component_status")
def component_status(request: HttpRequest, pk: int) -> HttpResponse:
    component = get_object_or_404(components_for(request.user), pk=pk)
    form = ComponentStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a valid status.")
        return redirect("console")
    set_status_by_staff(component, form.cleaned_data["status"], actor=request.user)
    label = dict(ComponentStatus.choices)[form.cleaned_data["status"]]
    messages.success(request, f"{component.name} is now {label.lower()}.")
    return redirect("console")
