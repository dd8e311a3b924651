"""Webhook pages: the sign-up form's post, the confirmation (which shows the secret), a new secret, resume."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from incidents.public.page_routing import page_of
from notifications.delivery import subscriber_links
from notifications.models import Channel, Subscriber
from notifications.signup import abuse_limits, choices, webhook_signup
from notifications.signup.forms import SubscribeForm
from notifications.signup.webhook_forms import WebhookSignupForm
from statuspage.client_ip import client_ip


@never_cache
def subscribe(request: HttpRequest) -> HttpResponse:
    """The subscribe page's webhook form posts here; it is shown (and its errors) on /subscribe/."""
    if request.method != "POST":
        return redirect("subscribe")
    form = WebhookSignupForm(request.POST)
    if form.is_valid():
        if not abuse_limits.allow("signup-ip", client_ip(request), settings.SIGNUP_LIMIT_PER_IP):
            form.add_error(None, "Too many sign-ups from your network. Please try again in a few hours.")
            return _subscribe_page(request, form, status=429)
        data = form.cleaned_data
        webhook_signup.sign_up(data["webhook_url"], data["webhook_contact"], page_of(request))
        return redirect("subscribe-check-email")
    return _subscribe_page(request, form, status=400)


def _subscribe_page(request: HttpRequest, form: WebhookSignupForm, *, status: int) -> HttpResponse:
    context = {"form": SubscribeForm(), "webhook_form": form, "webhook_open": True}
    return render(request, "notifications/subscribe.html", context, status=status)


@never_cache
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """A GET asks (mail scanners open links); the button's POST starts the webhook and shows its secret."""
    proof = webhook_signup.proof_for(token, page_of(request))
    if proof is None:
        return render(request, "notifications/link_invalid.html", status=400)
    host = webhook_signup.host_of(proof.address)
    if request.method != "POST":
        return render(request, "notifications/webhook_confirm.html", {"host": host, "url": proof.address})
    try:
        confirmed = webhook_signup.confirm(proof)
    except webhook_signup.WebhookRefused as refused:
        context = {"host": host, "url": proof.address, "error": refused.message}
        return render(request, "notifications/webhook_confirm.html", context, status=409)
    subscriber = confirmed.subscriber
    summary = choices.summarize(subscriber)
    context = {
        "subscriber": subscriber,
        "secret": confirmed.secret,
        "this": summary.channel(Channel.WEBHOOK),
        "summary": summary,
        "manage_url": subscriber_links.manage_url(subscriber),
    }
    return render(request, "notifications/webhook_confirmed.html", context)


@never_cache
def new_secret(request: HttpRequest, token: str) -> HttpResponse:
    if request.method != "POST":  # a reload or a link to it: back to the manage page, which has the button
        return redirect("subscription-manage", token)
    subscriber = _managed(request, token)
    if not isinstance(subscriber, Subscriber):
        return subscriber
    secret = webhook_signup.rotate_secret(subscriber)
    context = {"subscriber": subscriber, "secret": secret, "token": token}
    return render(request, "notifications/webhook_secret.html", context)


@never_cache
def resume(request: HttpRequest, token: str) -> HttpResponse:
    if request.method != "POST":  # a reload or a link to it: back to the manage page, which has the button
        return redirect("subscription-manage", token)
    subscriber = _managed(request, token)
    if not isinstance(subscriber, Subscriber):
        return subscriber
    webhook_signup.resume(subscriber)
    messages.success(request, f"The webhook to {webhook_signup.host_of(subscriber.webhook_url)} is on again.")
    return redirect("subscription-manage", token)


def _managed(request: HttpRequest, token: str) -> Subscriber | HttpResponse:
    """The subscriber whose confirmed webhook a manage link names, on its own page; else the error page."""
    subscriber = subscriber_links.subscriber_for_manage_token(token)
    if subscriber is None or not subscriber.webhook_url or not subscriber.webhook_confirmed_at:
        return render(request, "notifications/link_invalid.html", status=400)
    if subscriber.page_id != page_of(request).pk:  # as the manage page: another page says nothing
        return render(request, "notifications/link_invalid.html", status=404)
    return subscriber
