"""Provider webhooks: Twilio inbound SMS and status callbacks, Anymail tracking events."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications import preferences, sending
from notifications.models import Channel, Delivery, Subscriber
from notifications.sms_backends import twilio_signature_valid, twiml_reply

logger = logging.getLogger(__name__)

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
# Error codes that mean this number will never receive: unknown, landline, blocked, opted out.
PERMANENT_ERRORS = {"21211", "21610", "21614", "30004", "30005", "30006"}


def _twilio_signature_ok(request: HttpRequest) -> bool:
    if not settings.TWILIO_AUTH_TOKEN:
        return False
    # Twilio signs the public URL it called, which is SITE_URL's, not the proxy-facing one.
    url = settings.SITE_URL + request.get_full_path()
    signature = request.headers.get("X-Twilio-Signature", "")
    return twilio_signature_valid(url, request.POST.dict(), signature)


def _twiml(message: str = "") -> HttpResponse:
    return HttpResponse(twiml_reply(message), content_type="text/xml")


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """STOP and friends opt out, START opts back in, HELP gets a reply; other texts are ignored."""
    if not _twilio_signature_ok(request):
        return HttpResponse("bad signature", status=403, content_type="text/plain")
    sender = request.POST.get("From", "")
    words = re.findall(r"[A-Za-z]+", request.POST.get("Body", ""))
    keyword = words[0].upper() if words else ""
    if keyword in STOP_WORDS:
        for subscriber in Subscriber.objects.filter(phone=sender):
            preferences.opt_out(subscriber, Channel.SMS)
        return _twiml()  # the carrier and Twilio send the legally required confirmation
    if keyword in START_WORDS:
        preferences.opt_in_phone(sender)
        return _twiml()
    if keyword in HELP_WORDS:
        return _twiml(
            f"{settings.SITE_NAME} status alerts. Manage: {settings.SITE_URL}/subscribe/ "
            "Reply STOP to unsubscribe."
        )
    return _twiml()


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
            if status in ("failed", "undelivered") and request.POST.get("ErrorCode", "") in PERMANENT_ERRORS:
                Subscriber.objects.filter(pk=delivery.subscriber_id).update(
                    phone_suppressed_at=timezone.now()
                )
    return HttpResponse("ok", content_type="text/plain")


# Anymail normalises every ESP's tracking events; these mean "never send here again".
SUPPRESSING_EVENTS = {"bounced", "complained", "rejected"}
# Every other event says the ESP took the message.
NOT_TAKEN_EVENTS = {"rejected", "failed", "unknown"}


def anymail_tracking(sender, event, esp_name, **kwargs) -> None:
    """Receiver for anymail.signals.tracking (bounces, complaints, unsubscribes, deliveries)."""
    recipient = (event.recipient or "").lower()
    delivery_id = str((event.metadata or {}).get("delivery_id", ""))
    is_id = delivery_id.isascii() and delivery_id.isdigit() and len(delivery_id) < 19  # fits a bigint
    if is_id and event.event_type not in NOT_TAKEN_EVENTS:
        # A worker that died after the ESP took the message left its row open: close it, so the
        # sweeper does not send the email again.
        sending.settle_taken(int(delivery_id), str(event.message_id or ""))
    if event.message_id:
        Delivery.objects.filter(provider_id=str(event.message_id)[:100], channel=Channel.EMAIL).update(
            provider_status=event.event_type[:20]
        )
    if not recipient:
        return
    if event.event_type in SUPPRESSING_EVENTS:
        Subscriber.objects.filter(email=recipient).update(email_suppressed_at=timezone.now())
        logger.info("email to %s suppressed after %s from %s", recipient, event.event_type, esp_name)
    elif event.event_type == "unsubscribed":
        for subscriber in Subscriber.objects.filter(email=recipient):
            preferences.opt_out(subscriber, Channel.EMAIL)
