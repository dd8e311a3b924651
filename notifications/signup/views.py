"""Public sign-up pages: subscribe, confirm, manage choices, unsubscribe."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notifications.delivery import subscriber_links
from notifications.signup import abuse_limits, choices, confirmation, registration
from notifications.signup.forms import PhoneCodeForm, PreferencesForm, SubscribeForm


def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ip = abuse_limits.client_ip(request)
        limited = not abuse_limits.allow("signup-ip", ip, settings.SIGNUP_LIMIT_PER_IP) or (
            data["phone"] and not abuse_limits.allow("sms-signup-ip", ip, settings.SMS_SIGNUP_LIMIT_PER_IP)
        )
        if limited:
            form.add_error(None, "Too many sign-ups from your network. Please try again in a few hours.")
            return render(request, "notifications/subscribe.html", {"form": form}, status=429)
        phone_subscriber = registration.sign_up(data["email"], data["phone"])
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
    context = {"address": subscriber.email, "manage_url": subscriber_links.manage_url(subscriber)}
    return render(request, "notifications/confirmed.html", context)


def verify_phone(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = confirmation.subscriber_for_phone_token(token)
    if subscriber is None:
        return render(request, "notifications/link_invalid.html", status=400)
    form = PhoneCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        error = confirmation.verify_phone_code(subscriber, form.cleaned_data["code"])
        if error is None:
            context = {"address": subscriber.phone, "manage_url": subscriber_links.manage_url(subscriber)}
            return render(request, "notifications/confirmed.html", context)
        form.add_error("code", error)
    context = {"form": form, "also_email": "email" in request.GET}
    return render(request, "notifications/verify_phone.html", context, status=400 if form.errors else 200)


def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = subscriber_links.subscriber_for_manage_token(token)
    if subscriber is None:
        return render(request, "notifications/link_invalid.html", status=400)
    initial = {
        "channels": [
            c
            for c, opted_out in (
                ("email", subscriber.email_opted_out_at),
                ("sms", subscriber.phone_opted_out_at),
            )
            if not opted_out
        ],
        "all_components": "1" if subscriber.all_components else "0",
        "components": list(subscriber.components.all()),
        "event_kinds": subscriber.event_kinds,
    }
    form = PreferencesForm(
        request.POST if request.method == "POST" else None, subscriber=subscriber, initial=initial
    )
    saved = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        choices.save_choices(
            subscriber,
            channels=data["channels"],
            all_components=data["all_components"],
            components=data["components"],
            event_kinds=data["event_kinds"],
        )
        saved = True
    context = {"form": form, "subscriber": subscriber, "saved": saved, "token": token}
    return render(request, "notifications/manage.html", context, status=400 if form.errors else 200)


@require_POST
def delete_subscription(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = subscriber_links.subscriber_for_manage_token(token)
    if subscriber is None:
        return render(request, "notifications/link_invalid.html", status=400)
    subscriber.delete()
    return render(request, "notifications/unsubscribed.html", {"everything": True})


# RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookies and no CSRF token.
@csrf_exempt
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = subscriber_links.parse_unsubscribe_token(token)
    if found is None:
        return render(request, "notifications/link_invalid.html", status=400)
    subscriber, channel = found
    if request.method == "POST":
        subscriber_links.opt_out(subscriber, channel)
        return render(request, "notifications/unsubscribed.html", {"channel": channel})
    # A GET (a link scanner, a preview) only asks; it never unsubscribes.
    return render(
        request, "notifications/unsubscribe_confirm.html", {"channel": channel, "subscriber": subscriber}
    )
