"""Public URLs: sign-up and subscription pages, provider webhooks."""

from __future__ import annotations

from django.urls import include, path

from notifications.providers import anymail_tracking, twilio_sms
from notifications.signup import views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/check-email/", views.check_email, name="subscribe-check-email"),
    path("subscribe/confirm/<str:token>/", views.confirm_email, name="subscribe-confirm-email"),
    path("subscribe/verify/<str:token>/", views.verify_phone, name="subscribe-verify-phone"),
    path("subscribe/manage/<str:token>/", views.manage, name="subscription-manage"),
    path("subscribe/manage/<str:token>/delete/", views.delete_subscription, name="subscription-delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("webhooks/twilio/inbound", twilio_sms.twilio_inbound, name="twilio-inbound"),
    path("webhooks/twilio/status", twilio_sms.twilio_status, name="twilio-status"),
    # Anymail's tracking webhooks, one per ESP: /anymail/<esp>/tracking/ (basic auth: WEBHOOK_SECRET).
    path("anymail/", include(anymail_tracking.webhook_urls())),
]
