"""A page's subscription routes: sign-up, confirmation, preferences, unsubscribe."""

from __future__ import annotations

from django.urls import path

from notifications.signup import views

urlpatterns = [
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/check-email/", views.check_email, name="subscribe-check-email"),
    path("subscribe/confirm/<str:token>/", views.confirm_email, name="subscribe-confirm-email"),
    path("subscribe/verify/<str:token>/", views.verify_phone, name="subscribe-verify-phone"),
    path("subscribe/manage/<str:token>/", views.manage, name="subscription-manage"),
    path("subscribe/manage/<str:token>/delete/", views.delete_subscription, name="subscription-delete"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
