"""Sign-up for a chat channel: vet the webhook URL, post a confirmation link into it, confirm by button."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from incidents.public.page_routing import page_of
from notifications.delivery import subscriber_links
from notifications.delivery.channels.chat import ChatUrlRefused, chat_destination
from notifications.delivery.receivers import enqueue_safely
from notifications.models import Verification
from notifications.signup import abuse_limits, chat_proof
from statuspage.client_ip import client_ip

# Verification.address holds at most this much; every vetted app's canonical URL is far shorter.
MAX_STORED_URL = Verification._meta.get_field("address").max_length


class ChatSignupForm(forms.Form):
    url = forms.CharField(
        max_length=500,
        label="Webhook URL",
        help_text="The incoming webhook URL your chat app gave you, or an Apprise URL.",
    )

    def clean_url(self) -> str:
        try:
            destination = chat_destination(self.cleaned_data["url"])
        except ChatUrlRefused as refused:
            raise forms.ValidationError(refused.message) from None
        if len(destination.url) > MAX_STORED_URL:
            raise forms.ValidationError("That URL is too long for us to store.")
        self.label = destination.label
        return destination.url


@never_cache
def subscribe_chat(request: HttpRequest) -> HttpResponse:
    form = ChatSignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        limit = settings.SIGNUP_LIMIT_PER_IP
        if not abuse_limits.allow("signup-ip", client_ip(request), limit):
            form.add_error(None, "Too many sign-ups from your network. Please try again in a few hours.")
            response = render(request, "notifications/subscribe_chat.html", {"form": form}, status=429)
            response["Retry-After"] = str(abuse_limits.seconds_left(limit))
            return response
        _sign_up(form.cleaned_data["url"], request)
        return redirect("subscribe-chat-sent")
    status = 400 if form.errors else 200
    return render(request, "notifications/subscribe_chat.html", {"form": form}, status=status)


@transaction.atomic
def _sign_up(url: str, request: HttpRequest) -> None:
    verification = chat_proof.start(url, page_of(request))
    # Per channel, so nobody can flood one with confirmation messages; the same work either way.
    if abuse_limits.allow("confirm", url, settings.CONFIRMATIONS_PER_DESTINATION):
        transaction.on_commit(lambda: enqueue_safely("send_chat_confirmation", verification.pk))


@never_cache
def chat_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/subscribe_chat.html", {"sent": True})


@never_cache
def confirm_chat(request: HttpRequest, token: str) -> HttpResponse:
    verification = chat_proof.open_link(token, page_of(request))
    if verification is None:
        return render(request, "notifications/link_invalid.html", status=400)
    if request.method != "POST":
        # Chat apps unfurl links and scanners open them: only the button confirms.
        return render(request, "notifications/confirm_chat.html", {"confirmed": False})
    subscriber = chat_proof.confirm(verification)
    if subscriber is None:
        return render(request, "notifications/link_invalid.html", status=400)
    context = {"confirmed": True, "manage_url": subscriber_links.manage_url(subscriber)}
    return render(request, "notifications/confirm_chat.html", context)
