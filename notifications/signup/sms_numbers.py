"""Which numbers may have texts: valid, in an allowed country, of a kind that costs what SMS should.

One rule for the sign-up form, the worker that texts a code, and the CSV import. SMS pumping fraud
has codes sent to premium-rate, shared-cost, personal or UAN numbers and is paid per message; a
landline, toll-free or voicemail number can't read a text at all.
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from phonenumbers import PhoneNumberType

KINDS = {
    PhoneNumberType.FIXED_LINE: "a landline number",
    PhoneNumberType.MOBILE: "a mobile number",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "a landline or mobile number",
    PhoneNumberType.TOLL_FREE: "a toll-free number",
    PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    PhoneNumberType.SHARED_COST: "a shared-cost number",
    PhoneNumberType.VOIP: "an internet (VoIP) number",
    PhoneNumberType.PERSONAL_NUMBER: "a personal (follow-me) number",
    PhoneNumberType.PAGER: "a pager number",
    PhoneNumberType.UAN: "a company access number (UAN)",
    PhoneNumberType.VOICEMAIL: "a voicemail access number",
    PhoneNumberType.UNKNOWN: "a number of unknown kind",
}


class NumberRefused(ValueError):
    """Why a number can't have texts: `message` for the person who typed it, `reason` for an import report."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.message = message
        self.reason = reason


def kind_of(number: phonenumbers.PhoneNumber) -> str:
    return KINDS.get(phonenumbers.number_type(number), KINDS[PhoneNumberType.UNKNOWN])


def allowed_kind(number: phonenumbers.PhoneNumber) -> bool:
    allowed = {getattr(PhoneNumberType, name) for name in settings.SMS_ALLOWED_NUMBER_TYPES}
    return phonenumbers.number_type(number) in allowed


def textable(raw: str) -> str:
    """Return the number in E.164 if we may text it; raise NumberRefused saying why not."""
    try:
        number = phonenumbers.parse(raw, settings.SMS_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise NumberRefused("Enter a phone number, e.g. +44 7400 123456.", "is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise NumberRefused("That is not a valid phone number.", "is not a valid number")
    region = phonenumbers.region_code_for_number(number)
    allowed = settings.SMS_ALLOWED_COUNTRIES
    if "*" not in allowed and region not in allowed:
        raise NumberRefused(
            f"We can't send text messages to numbers in {region} yet; subscribe by email instead.",
            f"is in {region}, which is not in SMS_ALLOWED_COUNTRIES",
        )
    if not allowed_kind(number):
        kind = kind_of(number)
        raise NumberRefused(
            f"That is {kind}, which can't receive our text messages. "
            "Enter a mobile number, or subscribe by email.",
            f"is {kind}, not a kind in SMS_ALLOWED_NUMBER_TYPES",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
