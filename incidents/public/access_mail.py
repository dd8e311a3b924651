"""The sign-in link a private page emails: queued for a worker whatever the address, sent only if allowed.

The request does the same work for an address that may open the page and for one that may not, so
neither its answer nor its time tells them apart; the worker decides, and sends.
"""

from __future__ import annotations

import logging
from email.utils import formataddr, parseaddr
from urllib.parse import urlencode

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string

from incidents.models import StatusPage
from incidents.public import access_keys as keys
from incidents.public.page_routing import page_path, page_url

logger = logging.getLogger(__name__)


def queue_sign_in_link(page: StatusPage, email: str, relative: str) -> None:
    try:
        send_sign_in_link.delay(page.pk, email, relative)
    except Exception:  # noqa: BLE001 - the visitor's answer must not tell whether a mail will go out
        logger.exception("page access: could not queue a sign-in link for page %s", page.pk)


# Named as the worker knows it: incidents/tasks.py imports this module, which registers it.
@shared_task(name="incidents.tasks.send_page_access_link", acks_late=True)
def send_sign_in_link(page_id: int, email: str, relative: str) -> bool:
    """Email the sign-in link if the address may open the page (checked now); whether one was sent."""
    page = StatusPage.objects.filter(pk=page_id).first()
    if page is None or not keys.email_allowed(page, email):
        return False
    link = page_url(page, page_path("page-access-link", keys.link_token(page, email)))
    if relative != "/":
        link += "?" + urlencode({"next": relative})
    context = {"page_name": page.name, "link": link, "minutes": keys.LINK_MAX_AGE // 60}
    send_mail(
        f"Sign in to {page.name}",
        render_to_string("incidents/access_email.txt", context),
        formataddr((page.name, parseaddr(settings.DEFAULT_FROM_EMAIL)[1])),
        [email],
        html_message=render_to_string("incidents/access_email_message.html", context),
    )
    return True
