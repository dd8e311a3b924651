"""Declare, update, resolve, publish and write the postmortem: one form each."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from incidents.console.forms import DeclareIncidentForm, PostmortemForm, UpdateForm
from incidents.event_log import collect_update_stats
from incidents.models import Impact, Incident, IncidentTemplate, IncidentUpdate
from incidents.page_limits import components_for, incidents_for, needs_a_page, pages_for
from incidents.timeline.incident_lifecycle import (
    declare_incident,
    post_update,
    publish_incident,
    publish_postmortem,
)
from statuspage.staff import console_view

RESPONDER = ("incidents.add_incident", "incidents.change_incident", "incidents.add_incidentupdate")


@console_view(*RESPONDER)
def declare(request: HttpRequest) -> HttpResponse:
    components = list(components_for(request.user).select_related("group"))
    template = None
    if request.GET.get("template", "").isdigit():
        template = IncidentTemplate.objects.filter(pk=request.GET["template"]).first()
    initial = {"publish": True}
    if template:
        initial.update(
            name=template.title, body=template.body, status=template.status, impact=template.impact
        )
    form = DeclareIncidentForm(
        request.POST if request.method == "POST" else None,
        components=components,
        pages=pages_for(request.user),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid() and _on_my_pages(request, form):
        data = form.cleaned_data
        incident = declare_incident(
            data["name"],
            data["body"],
            data["status"],
            form.component_statuses(),
            impact=data["impact"],
            publish=data["publish"],
            pages=data["pages"],
            actor=request.user,
        )
        messages.success(
            request,
            "Incident declared."
            + (" Subscribers are being notified." if data["publish"] else " Saved as a draft."),
        )
        return redirect("console-incident", incident.pk)
    context = {
        "form": form,
        "template": template,
        "templates": IncidentTemplate.objects.all(),
        # A one-page install has nothing to pick: a general incident shows on its only page.
        "pick_pages": form.fields["pages"].queryset.exclude(is_default=True).exists(),
    }
    return render(request, "console/declare.html", context, status=400 if form.errors else 200)


def _on_my_pages(request: HttpRequest, form: DeclareIncidentForm) -> bool:
    """A general incident must show on one of the user's pages, or they could not see it."""
    if not form.component_statuses() and needs_a_page(request.user, form.cleaned_data["pages"]):
        form.add_error("pages", "Pick at least one of your pages to show this general incident on.")
        return False
    return True


def _incidents(request: HttpRequest):
    """The incidents this user may open: another page's incident is a 404 for staff limited to pages."""
    return incidents_for(request.user, Incident.objects.all())


@console_view()
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(
        _incidents(request).prefetch_related(
            "components",
            Prefetch(
                "updates",
                queryset=IncidentUpdate.objects.select_related("created_by").order_by("-created_at", "-id"),
            ),
        ),
        pk=pk,
    )
    return _render_detail(
        request,
        incident,
        _update_form(request, incident),
        PostmortemForm(initial={"body": incident.postmortem_body}),
    )


def _update_form(request: HttpRequest, incident: Incident, data=None) -> UpdateForm:
    return UpdateForm(data, incident=incident, components=components_for(request.user).values("pk"))


def _render_detail(request, incident, update_form, postmortem_form, status=200) -> HttpResponse:
    updates = list(incident.updates.all())
    stats: dict[int, dict] = {}
    for _, response in collect_update_stats.send(sender=Incident, update_ids=[u.pk for u in updates]):
        stats.update(response or {})
    for update in updates:
        update.delivery_stats = stats.get(update.pk)
    context = {
        "incident": incident,
        "updates": updates,
        "form": update_form,
        "postmortem_form": postmortem_form,
        "impacts": Impact.choices,
    }
    return render(request, "console/incident.html", context, status=status)


@require_POST
@console_view(*RESPONDER)
def update(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(_incidents(request), pk=pk)
    form = _update_form(request, incident, request.POST)
    if not form.is_valid():
        return _render_detail(request, incident, form, PostmortemForm(), status=400)
    post_update(
        incident,
        form.cleaned_data["status"],
        form.cleaned_data["body"],
        component_statuses=form.component_statuses(),
        actor=request.user,
    )
    messages.success(request, "Update posted.")
    return redirect("console-incident", incident.pk)


@require_POST
@console_view(*RESPONDER)
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(_incidents(request), pk=pk)
    if publish_incident(incident, actor=request.user):
        messages.success(request, "Published. Subscribers are being notified.")
    return redirect("console-incident", incident.pk)


@require_POST
@console_view(*RESPONDER)
def postmortem(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(_incidents(request), pk=pk)
    form = PostmortemForm(request.POST)
    if incident.is_maintenance or not incident.is_resolved:
        form.add_error(None, "A postmortem can be published once the incident is resolved.")
    if not form.is_valid():
        return _render_detail(request, incident, _update_form(request, incident), form, status=400)
    publish_postmortem(incident, form.cleaned_data["body"], actor=request.user)
    messages.success(request, "Postmortem published.")
    return redirect("console-incident", incident.pk)
