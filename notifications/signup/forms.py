"""Sign-up forms: an address to subscribe, the SMS code, and the choices on the manage page."""

from __future__ import annotations

import re

from django import forms

from incidents.models import ComponentGroup, EventKind, StatusPage
from incidents.public.page_scope import on_page
from notifications.models import Subscriber
from notifications.signup import sms_numbers
from notifications.signup.choices import COMPONENT_ORDER, channel_options


class SubscribeForm(forms.Form):
    email = forms.EmailField(required=False, label="Email address")
    phone = forms.CharField(
        required=False,
        max_length=32,
        label="Mobile number for SMS",
        help_text="International format, e.g. +44 7400 123456.",
    )

    def clean_email(self) -> str | None:
        email = self.cleaned_data["email"].strip()
        return email.lower() or None

    def clean_phone(self) -> str | None:
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return None
        try:
            return sms_numbers.textable(raw)
        except sms_numbers.NumberRefused as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("email") and not data.get("phone"):
            raise forms.ValidationError("Give an email address, a mobile number, or both.")
        return data


# People copy codes as "816 540" or "816-540"; phones may turn the dash into an en dash or minus.
CODE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212]+")


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="6-digit code",
        error_messages={"required": "Enter the 6 digits from the text message."},
    )

    def clean_code(self) -> str:
        code = CODE_SEPARATORS.sub("", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError("Enter the 6 digits from the text message.")
        return code


class PreferencesForm(forms.Form):
    channels = forms.MultipleChoiceField(
        choices=[], widget=forms.CheckboxSelectMultiple, required=False, label="Send to"
    )
    all_components = forms.TypedChoiceField(
        choices=[("1", "Every component"), ("0", "Only the components I pick")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        label="About",
    )
    # Both offer only the page's components (set in __init__): an id from elsewhere is refused.
    groups = forms.ModelMultipleChoiceField(
        queryset=ComponentGroup.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    components = forms.ModelMultipleChoiceField(
        queryset=ComponentGroup.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    event_kinds = forms.MultipleChoiceField(
        choices=EventKind.choices, widget=forms.CheckboxSelectMultiple, label="When"
    )

    def __init__(self, *args, subscriber: Subscriber, page: StatusPage, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page
        # Sorted by group first: the template regroups them under their group's heading.
        self.fields["components"].queryset = on_page(page).select_related("group").order_by(*COMPONENT_ORDER)
        self.fields["groups"].queryset = ComponentGroup.objects.filter(
            components__in=on_page(page)
        ).distinct()
        self.fields["channels"].choices = channel_options(subscriber)

    def clean(self):
        data = super().clean()
        if data.get("all_components") is False:
            picked = set(data.get("components") or [])
            for group in data.get("groups") or []:
                picked.update(group.components.filter(placements__page=self.page))
            if not picked:
                self.add_error("components", "Pick at least one component, or choose every component.")
            data["components"] = sorted(picked, key=lambda c: c.pk)
        return data
