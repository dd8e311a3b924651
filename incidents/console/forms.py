"""Forms for the staff console: each action is one form."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from incidents.models import (
    INCIDENT_UPDATE_STATUSES,
    MAINTENANCE_STATUSES,
    UNRESOLVED_STATUSES,
    Component,
    ComponentStatus,
    Impact,
    StatusPage,
    status_choices,
)

KEEP = ""


class ComponentStatusesMixin:
    """One select per component: the status to set with this update, or unchanged."""

    def add_component_fields(self, components, blank_label: str = "(unchanged)") -> None:
        for component in components:
            self.fields[f"component_{component.pk}"] = forms.ChoiceField(
                label=component.name,
                choices=[(KEEP, blank_label), *ComponentStatus.choices],
                required=False,
                initial=KEEP,
            )

    def component_statuses(self) -> dict[int, str]:
        return {
            int(name.removeprefix("component_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("component_") and value
        }

    def component_fields(self):
        return [self[name] for name in self.fields if name.startswith("component_")]

    def refuse_other_components(self) -> None:
        """Only the components offered may be set: another page's component is refused, not dropped."""
        named = {key for key in self.data if key.startswith("component_") and self.data.get(key)}
        if named - set(self.fields):
            raise forms.ValidationError("Some of these components are not on your pages.")


class DeclareIncidentForm(ComponentStatusesMixin, forms.Form):
    name = forms.CharField(max_length=200, label="Title")
    status = forms.ChoiceField(choices=status_choices(UNRESOLVED_STATUSES))
    impact = forms.ChoiceField(
        choices=[("", "From the components' statuses"), *Impact.choices],
        required=False,
        help_text="Left blank, the worst component status sets it (none affected: None).",
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Message")
    publish = forms.BooleanField(required=False, initial=True, label="Publish and notify subscribers now")
    pages = forms.ModelMultipleChoiceField(
        queryset=StatusPage.objects.none(),
        required=False,
        label="Show also on pages",
        help_text="A general incident shows on the pages picked here (none: the default page only).",
    )

    def __init__(self, *args, components=(), pages=None, **kwargs):
        super().__init__(*args, **kwargs)
        # None picked is a general incident, as Statuspage allows; its impact is then "none".
        self.add_component_fields(components, blank_label="(not affected)")
        self.fields["pages"].queryset = pages if pages is not None else StatusPage.objects.all()

    def clean(self):
        data = super().clean()
        self.refuse_other_components()
        return data


class UpdateForm(ComponentStatusesMixin, forms.Form):
    status = forms.ChoiceField()
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Message")

    def __init__(self, *args, incident, components=None, **kwargs):
        super().__init__(*args, **kwargs)
        statuses = MAINTENANCE_STATUSES if incident.is_maintenance else INCIDENT_UPDATE_STATUSES
        self.fields["status"].choices = status_choices(statuses)
        self.fields["status"].initial = incident.status
        # `components`: those the user may work on (staff limited to pages see only theirs).
        affected = incident.components.all()
        self.add_component_fields(affected if components is None else affected.filter(pk__in=components))

    def clean(self):
        data = super().clean()
        self.refuse_other_components()
        return data


class PostmortemForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}), label="Postmortem (Markdown)", max_length=50_000
    )


class MaintenanceForm(forms.Form):
    name = forms.CharField(max_length=200, label="Title")
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Message")
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    scheduled_for = forms.DateTimeField(
        label="Starts", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    scheduled_until = forms.DateTimeField(
        label="Ends", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    auto_transition = forms.BooleanField(
        required=False, initial=True, label="Start and complete automatically at these times"
    )

    def __init__(self, *args, components=None, **kwargs):
        super().__init__(*args, **kwargs)
        if components is not None:
            self.fields["components"].queryset = components

    def clean(self):
        data = super().clean()
        start, end = data.get("scheduled_for"), data.get("scheduled_until")
        if start and end and end <= start:
            self.add_error("scheduled_until", "The end must be after the start.")
        if end and end <= timezone.now():
            self.add_error("scheduled_until", "The end is already in the past.")
        return data


class ComponentStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ComponentStatus.choices)
