from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from notifications import confirmation, subscriptions
from notifications.forms import PhoneCodeForm, SubscribeForm


def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        phone_subscriber = subscriptions.sign_up(data["email"], data["phone"])
        if phone_subscriber:
            token = confirmation.phone_token(phone_subscriber)
            return redirect(
                reverse("subscribe-verify-phone", args=[token]) + ("?email=1" if data["email"] else "")
            )
        return redirect("subscribe-check-email")
    return render(request, "notifications/subscribe.html", {"form": form}, status=400 if form.errors else 200)


def check_email(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/check_email.html")


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = confirmation.confirm_email(token)
    if subscriber is None:
        return render(request, "notifications/link_invalid.html", status=400)
    return render(request, "notifications/confirmed.html", {"address": subscriber.email})


def verify_phone(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = confirmation.subscriber_for_phone_token(token)
    if subscriber is None:
        return render(request, "notifications/link_invalid.html", status=400)
    form = PhoneCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        error = confirmation.verify_phone_code(subscriber, form.cleaned_data["code"])
        if error is None:
            return render(request, "notifications/confirmed.html", {"address": subscriber.phone})
        form.add_error("code", error)
    context = {"form": form, "also_email": "email" in request.GET}
    return render(request, "notifications/verify_phone.html", context, status=400 if form.errors else 200)
