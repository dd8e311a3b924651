"""A page's subscription routes: sign-up, confirmation, preferences, unsubscribe."""

from __future__ import annotations

from django.urls import path

from notifications.signup import chat_signup, push_signup, views, webhook_views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/check-email/", views.check_email, name="subscribe-check-email"),
    path("subscribe/confirm/<str:token>/", views.confirm_email, name="subscribe-confirm-email"),
    path("subscribe/verify/<str:token>/", views.verify_phone, name="subscribe-verify-phone"),
    path("subscribe/manage/<str:token>/", views.manage, name="subscription-manage"),
    path("subscribe/manage/<str:token>/delete/", views.delete_subscription, name="subscription-delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("subscribe/push/", push_signup.push_subscription, name="subscribe-push"),
    path("subscribe/chat/", chat_signup.subscribe_chat, name="subscribe-chat"),
    path("subscribe/chat/sent/", chat_signup.chat_sent, name="subscribe-chat-sent"),
    path("subscribe/chat/confirm/<str:token>/", chat_signup.confirm_chat, name="subscribe-chat-confirm"),
    path("subscribe/webhook/", webhook_views.subscribe, name="subscribe-webhook"),
    path("subscribe/webhook/confirm/<str:token>/", webhook_views.confirm, name="subscribe-webhook-confirm"),
    path(
        "subscribe/manage/<str:token>/webhook/secret/",
        webhook_views.new_secret,
        name="subscription-webhook-secret",
    ),
    path(
        "subscribe/manage/<str:token>/webhook/resume/",
        webhook_views.resume,
        name="subscription-webhook-resume",
    ),
]
