"""Console forms: the subscriber search and filter, and the CSV upload."""

from __future__ import annotations

import io
import re

from django import forms
from django.db.models import Q, QuerySet

from incidents.models import StatusPage
from incidents.timeline.page_setup import ensure_default_page
from notifications.models import Subscriber
from notifications.signup import bulk_import, csv_rows

STATUS_FILTERS = {
    "confirmed": Q(email_confirmed_at__isnull=False) | Q(phone_confirmed_at__isnull=False),
    "unconfirmed": Q(email_confirmed_at__isnull=True, phone_confirmed_at__isnull=True),
    "suppressed": Q(email_suppressed_at__isnull=False) | Q(phone_suppressed_at__isnull=False),
    "opted_out": Q(email_opted_out_at__isnull=False) | Q(phone_opted_out_at__isnull=False),
}
PHONE_LIKE = re.compile(r"[\d\s()+.-]+")


class SubscriberFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=254, label="Email or phone contains")
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

    def filter(self, subscribers: QuerySet[Subscriber]) -> QuerySet[Subscriber]:
        """Narrow `subscribers` to the search and status; call after is_valid()."""
        q = self.cleaned_data["q"].strip()
        if q:
            match = Q(email__icontains=q)
            digits = re.sub(r"\D", "", q)
            # Numbers are stored in E.164, so "+44 7911 123" finds "+447911123456".
            match |= (
                Q(phone__contains=digits) if digits and PHONE_LIKE.fullmatch(q) else Q(phone__icontains=q)
            )
            subscribers = subscribers.filter(match)
        if self.cleaned_data["status"]:
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
