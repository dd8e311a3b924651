"""Twilio: the SMS backend that sends through it, and its webhooks (inbound STOP/START/HELP, statuses)."""

from __future__ import annotations

import re
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.models import StatusPage
from incidents.public.page_routing import page_url
from notifications.delivery import subscriber_links
from notifications.delivery.channels.base import DeliveryError
from notifications.delivery.channels.sms import CLOCK_SLACK, BaseBackend
from notifications.models import Channel, Delivery, Subscriber

# Twilio errors that will never succeed for this number: invalid number,
# opted out (STOP), not a mobile number.
PERMANENT_TWILIO_CODES = {21211, 21610, 21614, 21408, 21612}

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "YES", "UNSTOP"}
HELP_WORDS = {"HELP", "INFO"}
# Twilio delivery states in the order they happen; a callback never moves a delivery backwards.
STATUS_RANK = {
    "accepted": 1,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "read": 5,
}
# Status-callback error codes that mean this number will never receive: unknown, landline, blocked,
# opted out.
PERMANENT_CALLBACK_ERRORS = {"21211", "21610", "21614", "30004", "30005", "30006"}


class TwilioBackend(BaseBackend):
    def __init__(self) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        # The client waits forever by default; a hung provider must not hold a worker.
        http = TwilioHttpClient(timeout=settings.PROVIDER_TIMEOUT_SECONDS)
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http)
        if settings.TWILIO_API_BASE_URL:
            self.client.api.base_url = settings.TWILIO_API_BASE_URL.rstrip("/")

    def send(self, to: str, body: str) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            extra = {}
            if settings.TWILIO_STATUS_CALLBACKS:
                extra["status_callback"] = settings.SITE_URL + reverse("twilio-status")
            message = self.client.messages.create(
                to=to, from_=settings.TWILIO_FROM_NUMBER, body=body, **extra
            )
        except TwilioRestException as exc:
            permanent = exc.code in PERMANENT_TWILIO_CODES or (
                exc.status in (400, 401, 403, 404) and exc.code not in (None, 20429)
            )
            raise DeliveryError(
                f"Twilio {exc.status} code {exc.code}: {exc.msg}",
                permanent=permanent,
                maybe_sent=exc.status >= 500,  # a gateway's 502/504 may hide an accepted message
            ) from exc
        except (TwilioException, OSError) as exc:
            # No answer: Twilio may have taken the message before the connection failed.
            raise DeliveryError(f"Twilio unreachable: {exc}", permanent=False, maybe_sent=True) from exc
        return message.sid

    def find(self, to: str, body: str, since: datetime) -> str | None:
        from twilio.base.exceptions import TwilioException

        try:
            # Newest first; an alert sent minutes ago is on the first page.
            messages = self.client.messages.list(to=to, from_=settings.TWILIO_FROM_NUMBER, limit=20)
        except (TwilioException, OSError) as exc:
            raise DeliveryError(f"Twilio lookup failed: {exc}", permanent=False, maybe_sent=True) from exc
        for message in messages:
            created = message.date_created
            # endswith: a trial account's messages begin with Twilio's own notice.
            if (message.body or "").strip().endswith(body) and created and created >= since - CLOCK_SLACK:
                return message.sid
        return None


def _twilio_signature_ok(request: HttpRequest) -> bool:
    """Check X-Twilio-Signature on a webhook call from Twilio."""
    from twilio.request_validator import RequestValidator

    if not settings.TWILIO_AUTH_TOKEN:
        return False
    # Twilio signs the public URL it called, which is SITE_URL's, not the proxy-facing one.
    url = settings.SITE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).validate(url, request.POST.dict(), signature)


def _twiml(message: str = "") -> HttpResponse:
    """A TwiML answer to an inbound text: a reply message, or nothing."""
    from twilio.twiml.messaging_response import MessagingResponse

    response = MessagingResponse()
    if message:
        response.message(message)
    return HttpResponse(str(response), content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """STOP and friends opt out, START opts back in, HELP gets a reply; other texts are ignored."""
    if not _twilio_signature_ok(request):
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    sender = request.POST.get("From", "")
    words = re.findall(r"[A-Za-z]+", request.POST.get("Body", ""))
    keyword = words[0].upper() if words else ""
    # STOP and START are about the number: they apply to its subscription on every page.
    if keyword in STOP_WORDS:
        subscriber_links.opt_out_phone(sender)
        return _twiml()  # the carrier and Twilio send the legally required confirmation
    if keyword in START_WORDS:
        subscriber_links.opt_in_phone(sender)
        return _twiml()
    if keyword in HELP_WORDS:
        return _twiml(_help_text(sender))
    return _twiml()


def _help_text(sender: str) -> str:
    pages = list(StatusPage.objects.filter(subscribers__phone=sender).distinct()[:2])
    if len(pages) == 1:  # one page: its own name and address
        name, manage = pages[0].name, page_url(pages[0], "/subscribe/")
    else:
        name, manage = settings.SITE_NAME, f"{settings.SITE_URL}/subscribe/"
    return (
        f"{name} status alerts. Manage: {manage} "
        "Reply STOP to unsubscribe this number from every status page, START to resume."
    )


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _twilio_signature_ok(request):
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    sid = request.POST.get("MessageSid", "")[:100]
    status = request.POST.get("MessageStatus", "").lower()
    if not sid or status not in STATUS_RANK:
        return HttpResponse("ignored", content_type="text/plain")
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(provider_id=sid, channel=Channel.SMS).first()
        if delivery and STATUS_RANK.get(delivery.provider_status, 0) < STATUS_RANK[status]:
            delivery.provider_status = status
            delivery.save(update_fields=["provider_status", "updated_at"])
            if (
                status in ("failed", "undelivered")
                and request.POST.get("ErrorCode", "") in PERMANENT_CALLBACK_ERRORS
            ):
                # The number is dead for every page it subscribed to.
                phone = Subscriber.objects.filter(pk=delivery.subscriber_id).values("phone")
                Subscriber.objects.filter(phone__in=phone).update(phone_suppressed_at=timezone.now())
    return HttpResponse("ok", content_type="text/plain")
