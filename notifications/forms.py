from __future__ import annotations

import phonenumbers
from django import forms
from django.conf import settings


class SubscribeForm(forms.Form):
    email = forms.EmailField(required=False, label="Email address")
    phone = forms.CharField(
        required=False,
        max_length=32,
        label="Mobile number for SMS",
        help_text="International format, e.g. +44 7911 123456.",
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
            raise forms.ValidationError("Enter a phone number, e.g. +44 7911 123456.") from None
        if not phonenumbers.is_valid_number(number):
            raise forms.ValidationError("That is not a valid phone number.")
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
