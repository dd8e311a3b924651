"""The webhook sign-up form: the URL to POST to, and a contact address for the link and failure notices."""

from __future__ import annotations

from django import forms

from notifications.delivery import safe_http

# A proof keeps the address it proves in a 254-character column; webhook URLs are far shorter
# (Slack's and Discord's are ~120).
URL_MAX_LENGTH = 254


class WebhookSignupForm(forms.Form):
    # A CharField, not a URLField: safe_http's check says what is wrong in words a person can act on.
    webhook_url = forms.CharField(
        max_length=URL_MAX_LENGTH,
        label="Webhook URL",
        help_text="We POST Statuspage-style JSON here, signed with a secret you get when you confirm.",
        error_messages={"required": "Enter the URL to send webhooks to."},
    )
    webhook_contact = forms.EmailField(
        max_length=254,
        label="Contact email",
        help_text="We send the confirmation link here, and tell you if the webhook keeps failing.",
        error_messages={"required": "Enter an email address: the webhook starts once you confirm it."},
    )

    def clean_webhook_url(self) -> str:
        url = self.cleaned_data["webhook_url"].strip()
        try:
            safe_http.check_url(url)
        except safe_http.UnsafeDestination as exc:
            raise forms.ValidationError(exc.message) from None
        return url

    def clean_webhook_contact(self) -> str:
        return self.cleaned_data["webhook_contact"].strip().lower()
