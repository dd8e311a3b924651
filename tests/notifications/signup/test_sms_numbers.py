"""Texts go only to numbers that can read them at the price of SMS: in the form, the worker and CSV import."""

from __future__ import annotations

import os
import subprocess
import sys

import phonenumbers
import pytest
from phonenumbers import PhoneNumberType

from incidents.timeline.page_setup import ensure_default_page
from notifications.models import Channel, Subscriber, Verification
from notifications.signup import confirmation, csv_rows
from notifications.signup.csv_rows import RawRow, RowError

pytestmark = pytest.mark.django_db

REFUSED = {
    "+449098790000": "a premium-rate number",  # the issue's
    "+19002000000": "a premium-rate number",  # the issue's
    "+34901123456": "a shared-cost number",
    "+447012345678": "a personal (follow-me) number",
    "+445512345678": "a company access number (UAN)",
    "+18002345678": "a toll-free number",
    "+49177991234567": "a voicemail access number",
    "+447640123456": "a pager number",
    "+445612345678": "an internet (VoIP) number",
    "+441212345678": "a landline number",
}


@pytest.mark.parametrize(("number", "kind"), REFUSED.items())
def test_the_form_refuses_numbers_of_a_costly_or_unreadable_kind_and_stores_nothing(client, number, kind):
    assert phonenumbers.is_valid_number(phonenumbers.parse(number))

    response = client.post("/subscribe/", {"email": "", "phone": number})

    assert response.status_code == 400
    (error,) = response.context["form"].errors["phone"]
    assert error == f"That is {kind}, which can't receive our text messages. " + (
        "Enter a mobile number, or subscribe by email."
    )
    assert not Verification.objects.exists()


@pytest.mark.parametrize(
    ("number", "kind"),
    [("+447911123456", PhoneNumberType.MOBILE), ("+14155552671", PhoneNumberType.FIXED_LINE_OR_MOBILE)],
)
def test_mobile_numbers_and_those_a_country_does_not_tell_apart_are_accepted(client, number, kind):
    assert phonenumbers.number_type(phonenumbers.parse(number)) == kind

    assert client.post("/subscribe/", {"email": "", "phone": number}).status_code == 302


def test_the_allowed_kinds_are_a_setting(client, settings):
    settings.SMS_ALLOWED_NUMBER_TYPES = ["MOBILE", "FIXED_LINE_OR_MOBILE", "TOLL_FREE"]

    assert client.post("/subscribe/", {"email": "", "phone": "+18002345678"}).status_code == 302
    settings.SMS_ALLOWED_NUMBER_TYPES = ["MOBILE"]
    assert client.post("/subscribe/", {"email": "", "phone": "+14155552671"}).status_code == 400


def test_an_unknown_kind_in_the_setting_stops_the_start():
    env = {**os.environ, "SMS_ALLOWED_NUMBER_TYPES": "MOBILE,CHEAP"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"], env=env, capture_output=True, text=True
    )

    assert result.returncode != 0
    assert "SMS_ALLOWED_NUMBER_TYPES has unknown types: CHEAP" in result.stderr


def test_the_worker_texts_no_code_to_a_number_no_longer_allowed(settings, sms_outbox):
    verification, _ = confirmation.start(
        Channel.SMS, "+18002345678", ensure_default_page()
    )  # signed up while toll-free was allowed

    confirmation.send_phone_code(verification.pk)

    assert sms_outbox == []
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize(("number", "kind"), list(REFUSED.items())[:3])
def test_the_csv_import_refuses_the_same_numbers(number, kind):
    parsed = csv_rows.parse(RawRow(line=2, email="", phone=number, confirmed="yes"))

    assert isinstance(parsed, RowError)
    assert parsed.message == f"phone '{number}' is {kind}, not a kind in SMS_ALLOWED_NUMBER_TYPES"


def test_the_csv_import_refuses_countries_the_form_refuses_and_takes_mobiles():
    outside = csv_rows.parse(RawRow(line=3, email="", phone="+7 912 345 67 89", confirmed=""))
    mobile = csv_rows.parse(RawRow(line=4, email="", phone="+44 7911 123456", confirmed=""))

    assert outside.message == "phone '+7 912 345 67 89' is in RU, which is not in SMS_ALLOWED_COUNTRIES"
    assert mobile.phone == "+447911123456"
