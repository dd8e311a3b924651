"""Sign-up forms: an address to subscribe, the SMS code, and the choices on the manage page."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.conf import settings
from django.db.models import F

from incidents.models import Component, ComponentGroup, EventKind
from notifications.models import Channel, Subscriber


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
            number = phonenumbers.parse(raw, settings.SMS_DEFAULT_REGION)
        except phonenumbers.NumberParseException:
            raise forms.ValidationError("Enter a phone number, e.g. +44 7400 123456.") from None
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError("That is not a valid phone number.")
        region = phonenumbers.region_code_for_number(number)
        allowed = settings.SMS_ALLOWED_COUNTRIES
        if "*" not in allowed and region not in allowed:
            raise forms.ValidationError(
                f"We can't send text messages to numbers in {region} yet; subscribe by email instead."
            )
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("email") and not data.get("phone"):
            raise forms.ValidationError("Give an email address, a mobile number, or both.")
        return data


class PhoneCodeForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        label="6-digit code",
        error_messages={"invalid": "Enter the 6 digits from the text message."},
    )


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
    groups = forms.ModelMultipleChoiceField(
        queryset=ComponentGroup.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    components = forms.ModelMultipleChoiceField(
        # Sorted by group first: the template regroups them under their group's heading.
        queryset=Component.objects.select_related("group").order_by(
            F("group__position").asc(nulls_last=True), "group__name", "position", "name"
        ),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    event_kinds = forms.MultipleChoiceField(
        choices=EventKind.choices, widget=forms.CheckboxSelectMultiple, label="When"
    )

    def __init__(self, *args, subscriber: Subscriber, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channels"].choices = [
            (channel, f"{label}: {address}")
            for channel, label, address in (
                (Channel.EMAIL, "Email", subscriber.email if subscriber.email_confirmed_at else None),
                (Channel.SMS, "SMS", subscriber.phone if subscriber.phone_confirmed_at else None),
            )
            if address
        ]

    def clean(self):
        data = super().clean()
        if data.get("all_components") is False:
            picked = set(data.get("components") or [])
            for group in data.get("groups") or []:
                picked.update(group.components.all())
            if not picked:
                self.add_error("components", "Pick at least one component, or choose every component.")
            data["components"] = sorted(picked, key=lambda c: c.pk)
        return data
