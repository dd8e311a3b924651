"""Public sign-up pages: subscribe, confirm, manage choices, unsubscribe."""

from __future__ import annotations

from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timeuntil
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.public.page_routing import page_of
from notifications.delivery import subscriber_links
from notifications.models import Channel, Subscriber, Verification
from notifications.signup import abuse_limits, choices, confirmation, registration
from notifications.signup.forms import PhoneCodeForm, PreferencesForm, SubscribeForm
from statuspage.client_ip import client_ip


# Pages that hold a token or show a subscription are never cached, by browsers or proxies.
@never_cache
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if _network_limit_hit(request, sms=bool(data["phone"])):
            form.add_error(None, "Too many sign-ups from your network. Please try again in a few hours.")
            return render(request, "notifications/subscribe.html", {"form": form}, status=429)
        token = registration.sign_up(data["email"], data["phone"], page_of(request))
        if token:
            return redirect(
                reverse("subscribe-verify-phone", args=[token]) + ("?email=1" if data["email"] else "")
            )
        return redirect("subscribe-check-email")
    return render(request, "notifications/subscribe.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
def check_email(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/check_email.html")


@never_cache
def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = confirmation.confirm_email(token, page_of(request))
    if subscriber is None:
        return render(request, "notifications/link_invalid.html", status=400)
    return _confirmed(request, subscriber, Channel.EMAIL)


@never_cache
def verify_phone(request: HttpRequest, token: str) -> HttpResponse:
    verification = confirmation.verification_for_page(token, page_of(request))
    if verification is None:
        return render(request, "notifications/link_invalid.html", status=400)
    if request.method == "POST" and "resend" in request.POST:
        return _resend_code(request, verification)
    form = PhoneCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        limit = settings.SMS_CODE_TRIES_PER_IP
        if not abuse_limits.allow("code-ip", client_ip(request), limit):
            form.add_error(
                "code", f"Too many codes tried from your network. Try again in about {_wait(limit)}."
            )
            response = _verify_page(request, verification, form, status=429)
            response["Retry-After"] = str(abuse_limits.seconds_left(limit))
            return response
        try:
            subscriber = confirmation.verify_phone_code(verification, form.cleaned_data["code"])
        except confirmation.CodeRefused as refused:
            form.add_error("code", refused.message)
            response = _verify_page(request, verification, form, status=refused.status)
            if refused.retry_after:
                response["Retry-After"] = str(refused.retry_after)
            return response
        return _confirmed(request, subscriber, Channel.SMS)
    return _verify_page(request, verification, form, status=400 if form.errors else 200)


def _resend_code(request: HttpRequest, verification: Verification) -> HttpResponse:
    """Text a new code within the sign-up's limits: per network, then per number."""
    limit = _network_limit_hit(request, sms=True)
    if limit:
        error = f"Too many codes asked for from your network. Try again in about {_wait(limit)}."
    elif registration.resend_phone_code(verification):
        masked = format_html('<span style="white-space:nowrap">{}</span>', masked_phone(verification.address))
        sent = format_html("We've texted a new code to {}. It replaces the one before.", masked)
        messages.success(request, sent)
        return redirect(request.get_full_path())  # so reloading the page doesn't ask again
    else:
        limit = settings.CONFIRMATIONS_PER_DESTINATION
        error = f"Too many codes sent to this number. You can ask for another in about {_wait(limit)}."
    response = _verify_page(request, verification, PhoneCodeForm(), resend_error=error, status=429)
    response["Retry-After"] = str(abuse_limits.seconds_left(limit))
    return response


def _verify_page(request, verification, form, *, status: int, resend_error: str = "") -> HttpResponse:
    context = {
        "form": form,
        "also_email": "email" in request.GET,
        "masked_phone": masked_phone(verification.address),
        "minutes": settings.SMS_CODE_MAX_AGE_SECONDS // 60,
        "resend_error": resend_error,
    }
    return render(request, "notifications/verify_phone.html", context, status=status)


def _confirmed(request: HttpRequest, subscriber: Subscriber, channel: str) -> HttpResponse:
    """What a confirmed address will get, from the stored choices (the first visit and every one after)."""
    summary = choices.summarize(subscriber)
    context = {
        "address": subscriber.email if channel == Channel.EMAIL else subscriber.phone,
        "this": summary.channel(channel),
        "summary": summary,
        "manage_url": subscriber_links.manage_url(subscriber),
    }
    return render(request, "notifications/confirmed.html", context)


def _network_limit_hit(request: HttpRequest, *, sms: bool) -> tuple[int, int] | None:
    """Count a sign-up (or a new code) from the client's network; the limit it passed, if any."""
    ip = client_ip(request)
    if not abuse_limits.allow("signup-ip", ip, settings.SIGNUP_LIMIT_PER_IP):
        return settings.SIGNUP_LIMIT_PER_IP
    if sms and not abuse_limits.allow("sms-signup-ip", ip, settings.SMS_SIGNUP_LIMIT_PER_IP):
        return settings.SMS_SIGNUP_LIMIT_PER_IP
    return None


def _wait(limit: tuple[int, int]) -> str:
    seconds = max(60, abuse_limits.seconds_left(limit))  # "1 minute", never "0 minutes"
    return timeuntil(timezone.now() + timedelta(seconds=seconds), depth=1)


def masked_phone(phone: str) -> str:
    """The number as "+1 •••-•••-4321": enough to spot a typo, not enough to read it off the screen."""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:  # stored numbers are E.164; this is only a fallback
        return "\u2022\u2022\u2022" + phone[-4:]
    prefix = f"+{number.country_code}"
    rest = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)[len(prefix) :]
    shown = sum(ch.isdigit() for ch in rest) - 4
    masked, seen = [], 0
    for ch in rest:
        if ch.isdigit():
            seen += 1
            ch = ch if seen > shown else "\u2022"
        masked.append(ch)
    return prefix + "".join(masked)


@never_cache
def manage(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = subscriber_links.subscriber_for_manage_token(token)
    if subscriber is None:
        return render(request, "notifications/link_invalid.html", status=400)
    if not _on_its_page(request, subscriber):
        return _elsewhere(request)
    initial = {
        "channels": choices.channels_on(subscriber),
        "all_components": "1" if subscriber.all_components else "0",
        "components": list(subscriber.components.all()),
        "event_kinds": subscriber.event_kinds,
    }
    form = PreferencesForm(
        request.POST if request.method == "POST" else None,
        subscriber=subscriber,
        page=page_of(request),  # the subscriber's, as _on_its_page checked
        initial=initial,
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
    context = {
        "form": form,
        "subscriber": subscriber,
        "saved": saved,
        "summary": choices.summarize(subscriber) if saved else None,
        "token": token,
    }
    return render(request, "notifications/manage.html", context, status=400 if form.errors else 200)


@never_cache
@require_POST
def delete_subscription(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = subscriber_links.subscriber_for_manage_token(token)
    if subscriber is None:
        return render(request, "notifications/link_invalid.html", status=400)
    if not _on_its_page(request, subscriber):
        return _elsewhere(request)
    subscriber.delete()
    return render(request, "notifications/unsubscribed.html", {"everything": True})


# RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookies and no CSRF token.
@csrf_exempt
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    found = subscriber_links.parse_unsubscribe_token(token)
    if found is None:
        return render(request, "notifications/link_invalid.html", status=400)
    subscriber, channel = found
    if not _on_its_page(request, subscriber):
        return _elsewhere(request)
    if request.method == "POST":
        subscriber_links.opt_out(subscriber, channel)
        return render(request, "notifications/unsubscribed.html", {"channel": channel})
    # A GET (a link scanner, a preview) only asks; it never unsubscribes.
    return render(
        request, "notifications/unsubscribe_confirm.html", {"channel": channel, "subscriber": subscriber}
    )


def _on_its_page(request: HttpRequest, subscriber: Subscriber) -> bool:
    """Links work only on the page subscribed to: another page (maybe a public one, for a private
    page's subscriber) neither shows nor changes the subscription, nor says where it is."""
    return subscriber.page_id == page_of(request).pk


def _elsewhere(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/link_invalid.html", status=404)
