"""Public URLs: sign-up and subscription pages, provider webhooks."""

from __future__ import annotations

from django.urls import include, path

from notifications.console import webhook_api
from notifications.providers import anymail_tracking, twilio_sms

urlpatterns = [
    path("", include("notifications.signup.routes")),
    # The staff API's one subscriber resource, beside incidents.api's (which can't import notifications).
    path("api/v1/subscribers/webhooks", webhook_api.WebhookSubscriberCreate.as_view(), name="api-webhooks"),
    path("webhooks/twilio/inbound", twilio_sms.twilio_inbound, name="twilio-inbound"),
    path("webhooks/twilio/status", twilio_sms.twilio_status, name="twilio-status"),
    # Anymail's tracking webhooks, one per ESP: /anymail/<esp>/tracking/ (basic auth: WEBHOOK_SECRET).
    path("anymail/", include(anymail_tracking.webhook_urls())),
]
