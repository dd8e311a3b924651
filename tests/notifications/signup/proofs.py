"""What the worker does after a sign-up, run in the test's process: send the link or code, read it back."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core import mail

from notifications.models import Channel, Subscriber, Verification
from notifications.providers import sms_backends
from notifications.signup import confirmation


def latest(address: str) -> Verification:
    """The newest proof started for an address."""
    return Verification.objects.filter(address=address).latest("pk")


def text_code(phone: str) -> str:
    """Run the queued task for the newest proof of `phone` and return the code it texted."""
    confirmation.send_phone_code(latest(phone).pk)
    sms = [m for m in sms_backends.outbox if m.to == phone][-1]
    return re.search(r"\b\d{6}\b", sms.body).group(0)


def email_link(email: str) -> str:
    """Run the queued task for the newest proof of `email` and return the path of the link it mailed."""
    confirmation.send_email_link(latest(email).pk)
    body = [m for m in mail.outbox if m.to == [email]][-1].body
    links = re.findall(r"https?://\S+", body)
    assert len(links) == 1, body
    return urlsplit(links[0]).path


def link_for(subscriber: Subscriber) -> str:
    """A confirmation link for the subscriber's email address, as a sign-up would mail it."""
    verification, _ = confirmation.start(Channel.EMAIL, subscriber.email, subscriber.page)
    Verification.objects.filter(pk=verification.pk).update(subscriber=subscriber)
    return email_link(subscriber.email)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"
