"""The chat channel: a title and a Markdown body per event, posted by the backend CHAT_BACKEND names.

The backend (Apprise's, in providers/) knows each app: which addresses are vetted, how each is
written as an Apprise URL, how a failure reads. This module renders the message, checks a
self-hosted app's host (Mattermost, Matrix, ntfy on one's own server) is on the public internet,
and hands the message over. Sign-up asks it the same questions (`chat_destination`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.module_loading import import_string

from incidents.models import Event, StatusPage
from incidents.public.page_routing import page_url
from notifications.delivery import safe_http, subscriber_links
from notifications.delivery.channels.base import ChannelSender, DeliveryError
from notifications.delivery.rendering import event_context, page_context, template_for
from notifications.models import Channel


class ChatUrlRefused(ValueError):
    """An address we will not post to; the message is for whoever typed it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class ChatDestination:
    url: str  # the canonical Apprise URL: what is stored and what is sent to
    app: str  # "slack", "teams", "discord", "gchat", "mattermost", "telegram", "matrix", "ntfy"
    label: str  # the app's name, for people
    # For an app on the subscriber's own server: "https://host:port/", checked to be public before each
    # post. None for an app's own cloud host (hooks.slack.com, discord.com, api.telegram.org, ...).
    self_hosted: str | None = None


@dataclass(frozen=True)
class ChatMessage:
    title: str
    body: str  # Markdown; the backend turns it into what each app shows


class BaseChatBackend:
    def destination(self, url: str) -> ChatDestination:
        """The vetted, canonical form of a chat address; raise ChatUrlRefused if it is not one."""
        raise NotImplementedError

    def send(self, destination: ChatDestination, title: str, body: str) -> str:
        """Post one message; return an id for it ("" if the app gives none). Raise DeliveryError."""
        raise NotImplementedError


def get_backend() -> BaseChatBackend:
    return _backend(settings.CHAT_BACKEND)


@functools.lru_cache(maxsize=4)
def _backend(path: str) -> BaseChatBackend:
    return import_string(path)()


def chat_destination(url: str) -> ChatDestination:
    """Vet an address typed at sign-up: a vetted app, and a self-hosted one on a public host."""
    destination = get_backend().destination(url)
    if destination.self_hosted:
        try:
            safe_http.check_url(destination.self_hosted)
        except safe_http.UnsafeDestination as refused:
            raise ChatUrlRefused(refused.message) from None
    return destination


def send_chat(url: str, message: ChatMessage) -> str:
    """Post a message to a stored chat address, vetting it again first (rules and DNS may have changed)."""
    try:
        destination = get_backend().destination(url)
    except ChatUrlRefused as refused:
        raise DeliveryError(f"chat address refused: {refused.message}", permanent=True) from None
    if destination.self_hosted:
        # Apprise makes its own connection and resolves the name again, so this check narrows DNS
        # rebinding to the moment between the two lookups but cannot close it as safe_http.post_json
        # does (which connects to the address it checked). Only self-hosted apps need it: the cloud
        # apps' hosts are fixed in the backend. Redirects are off, so an answer can't send it elsewhere.
        try:
            safe_http.resolve(destination.self_hosted)
        except safe_http.UnsafeDestination as refused:
            raise DeliveryError(f"chat host refused: {refused.message}", permanent=True) from None
        except safe_http.OutboundError as failed:
            raise DeliveryError(failed.message, permanent=False) from None
    return get_backend().send(destination, message.title, message.body)


def render_chat(name: str, context: dict, page: StatusPage | None = None) -> ChatMessage:
    context = {**page_context(page), **context}
    base = f"notifications/chat/{name}"
    return ChatMessage(
        title=" ".join(render_to_string(f"{base}.title.txt", context).split()),
        body=render_to_string(f"{base}.txt", context).strip(),
    )


def event_chat_message(event: Event, page: StatusPage) -> ChatMessage:
    """An event's chat message for one page, rendered once per process (events never change)."""
    return _render_event(event.pk, event.created_at, page.pk, page.updated_at, page_url(page, "/"))


@functools.lru_cache(maxsize=64)
def _render_event(event_id, created_at, page_id, page_updated, base) -> ChatMessage:
    # Keyed like rendering._render_event: a reused id, a renamed page or a new host never hits a stale entry.
    event = Event.objects.select_related("incident", "incident_update", "component").get(pk=event_id)
    page = StatusPage.objects.get(pk=page_id)
    return render_chat(template_for(event), event_context(event, page), page)


class ChatSender(ChannelSender):
    """Chat apps' webhooks take no idempotency key and can't be asked what they took, so an attempt
    whose answer never came (a timeout after the post went out) is posted again: the one case where a
    channel may see a message twice. Every answer that says "not taken" (5xx, 429) retries safely."""

    channel = Channel.CHAT

    def message(self, delivery) -> ChatMessage:
        return event_chat_message(delivery.event, delivery.subscriber.page)

    def send(self, delivery, message, connection=None) -> str:
        # A bare URL: every app links it, where Markdown link syntax is shown raw by some (Slack, ntfy).
        manage = subscriber_links.manage_url(delivery.subscriber)
        body = f"{message.body}\n\nChange what is posted here, or stop it: {manage}"
        return send_chat(delivery.subscriber.chat_url, ChatMessage(message.title, body))
