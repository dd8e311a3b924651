"""Console forms: the subscriber search and filter, and the CSV upload."""

from __future__ import annotations

import functools
import io
import operator
import re

from django import forms
from django.db.models import Q, QuerySet

from incidents.models import StatusPage
from incidents.timeline.page_setup import ensure_default_page
from notifications.models import CHANNEL_FIELDS, Channel, Subscriber
from notifications.signup import bulk_import, csv_rows


def _on_any_channel(state: str) -> Q:
    """Some channel (email, SMS, webhook, ...) has `<prefix>_<state>` set."""
    return functools.reduce(
        operator.or_, (Q(**{f"{prefix}_{state}__isnull": False}) for _, prefix in CHANNEL_FIELDS.values())
    )


STATUS_FILTERS = {
    "confirmed": _on_any_channel("confirmed_at"),
    "unconfirmed": ~_on_any_channel("confirmed_at"),
    "suppressed": _on_any_channel("suppressed_at"),  # a webhook's pause included
    "opted_out": _on_any_channel("opted_out_at"),
}
PHONE_LIKE = re.compile(r"[\d\s()+.-]+")


class SubscriberFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=254, label="Email, phone or URL contains")
    status = forms.ChoiceField(
        required=False,
        choices=[
            ("", "Everyone"),
            ("confirmed", "Confirmed"),
            ("unconfirmed", "Unconfirmed"),
            ("suppressed", "Suppressed (provider refused)"),
            ("opted_out", "Opted out"),
        ],
    )
    channel = forms.ChoiceField(required=False, choices=[("", "Any channel"), *Channel.choices])

    def filter(self, subscribers: QuerySet[Subscriber]) -> QuerySet[Subscriber]:
        """Narrow `subscribers` to the search and status; call after is_valid()."""
        q = self.cleaned_data["q"].strip()
        if q:
            match = Q(email__icontains=q) | Q(webhook_url__icontains=q)
            digits = re.sub(r"\D", "", q)
            # Numbers are stored in E.164, so "+44 7911 123" finds "+447911123456".
            match |= (
                Q(phone__contains=digits) if digits and PHONE_LIKE.fullmatch(q) else Q(phone__icontains=q)
            )
            subscribers = subscribers.filter(match)
        channel = self.cleaned_data["channel"]
        if channel:
            # With a status too, the status is the channel's own ("opted out" of chat, say).
            address, prefix = CHANNEL_FIELDS[channel]
            subscribers = subscribers.filter(**{f"{address}__isnull": False})
            if status := self.cleaned_data["status"]:
                field = {"unconfirmed": "confirmed_at"}.get(status, f"{status}_at")
                subscribers = subscribers.filter(**{f"{prefix}_{field}__isnull": status == "unconfirmed"})
        elif self.cleaned_data["status"]:
            subscribers = subscribers.filter(STATUS_FILTERS[self.cleaned_data["status"]])
        return subscribers


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            'A header line with an "email" and/or a "phone" column, then one subscriber per line. '
            'An optional "confirmed" column set to yes imports that row as confirmed. '
            f"UTF-8, up to {bulk_import.MAX_BYTES // (1024 * 1024)} MB."
        ),
    )
    page = forms.ModelChoiceField(
        queryset=StatusPage.objects.all(),
        required=False,
        empty_label=None,
        label="Status page",
        help_text="They subscribe to this page; an address it already has is skipped.",
    )
    confirmed = forms.BooleanField(
        required=False,
        label="Every address in this file is already confirmed",
        help_text=(
            "Tick this only if you vouch for them, e.g. when moving subscribers who confirmed on "
            "another status page. Confirmed subscribers are notified from the next event."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page"].initial = ensure_default_page().pk

    def clean_page(self) -> StatusPage:
        return self.cleaned_data["page"] or ensure_default_page()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > bulk_import.MAX_BYTES:
            raise forms.ValidationError(
                f"The file is larger than {bulk_import.MAX_BYTES // (1024 * 1024)} MB. "
                "Split it, or import it on the server with: manage.py import_subscribers FILE"
            )
        try:
            self.text = csv_rows.decode(upload.read())
            self.total = csv_rows.count_rows(io.StringIO(self.text))
        except csv_rows.BadFile as exc:
            raise forms.ValidationError(str(exc)) from None
        if not self.total:
            raise forms.ValidationError("The file has a header but no subscribers.")
        return upload
