"""Subscribers and their choices, proofs of their addresses, fan-out progress, deliveries, and imports."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from incidents.models import Component, Event, EventKind, StatusPage
from incidents.timeline.page_setup import ensure_default_page

# What a new subscriber hears about until they choose otherwise. The reminder and the postmortem
# are in: the reminder is the message that prevents surprise (the announcement may be weeks old),
# and the postmortem closes an incident they were told about, once per incident. Component status
# changes stay out: a probe's every move is noise for most people. Existing subscribers keep their
# stored choices; they tick the new kinds on the manage page.
DEFAULT_EVENT_KINDS = [
    EventKind.INCIDENT_CREATED,
    EventKind.INCIDENT_UPDATED,
    EventKind.INCIDENT_RESOLVED,
    EventKind.INCIDENT_POSTMORTEM,
    EventKind.MAINTENANCE_SCHEDULED,
    EventKind.MAINTENANCE_REMINDER,
    EventKind.MAINTENANCE_STARTED,
    EventKind.MAINTENANCE_COMPLETED,
]


def default_event_kinds() -> list[str]:
    return [str(kind) for kind in DEFAULT_EVENT_KINDS]


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WEBHOOK = "webhook", "Webhook"
    CHAT = "chat", "Chat app"
    PUSH = "push", "Browser push"


# Each channel's fields on Subscriber: the address, and the prefix of its `_confirmed_at`,
# `_suppressed_at` (the provider says it will never work) and `_opted_out_at` (the person stopped it).
CHANNEL_FIELDS = {
    Channel.EMAIL: ("email", "email"),
    Channel.SMS: ("phone", "phone"),
    Channel.WEBHOOK: ("webhook_url", "webhook"),
    Channel.CHAT: ("chat_url", "chat"),
    Channel.PUSH: ("push_endpoint", "push"),
}


def channel_state_fields() -> list[str]:
    """Every field that says whether a subscriber's channel is live (for `.only()` in the fan-out)."""
    states = ("confirmed_at", "suppressed_at", "opted_out_at")
    return [f for a, p in CHANNEL_FIELDS.values() for f in (a, *(f"{p}_{s}" for s in states))]


def new_link_key() -> str:
    return secrets.token_urlsafe(18)


def default_page_id() -> int:
    """The default page: where a subscriber made without naming one (the admin, old callers) belongs."""
    return ensure_default_page().pk


class Subscriber(models.Model):
    """One person's subscription to one page; an email address, a phone number (E.164), or both.

    The same address may subscribe to several pages: one row per page, each managed on its own.
    """

    page = models.ForeignKey(
        StatusPage, on_delete=models.CASCADE, related_name="subscribers", default=default_page_id
    )
    # NULL, not "", for no address: the unique (address, page) constraints ignore NULLs.
    email = models.EmailField(null=True, blank=True)  # noqa: DJ001
    phone = models.CharField(max_length=20, null=True, blank=True)  # noqa: DJ001
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    phone_confirmed_at = models.DateTimeField(null=True, blank=True)
    # The random part of the manage and unsubscribe links (signed, see delivery/subscriber_links.py):
    # links name neither the row nor the address. A new key revokes every link sent so far.
    link_key = models.CharField(max_length=32, unique=True, default=new_link_key, editable=False)
    # SMS codes checked for this number since `phone_code_tries_since` (every proof's codes together).
    phone_code_tries = models.PositiveSmallIntegerField(default=0)
    phone_code_tries_since = models.DateTimeField(null=True, blank=True)
    # Unused since codes moved to Verification (migration 0008); the console still names it.
    phone_code_hash = models.CharField(max_length=128, blank=True)
    phone_code_sent_at = models.DateTimeField(null=True, blank=True)
    # Set when a provider says the address will never work (invalid number, hard bounce, complaint).
    email_suppressed_at = models.DateTimeField(null=True, blank=True)
    phone_suppressed_at = models.DateTimeField(null=True, blank=True)
    # Set when the person stops a channel (one-click unsubscribe, SMS STOP); cleared by START.
    email_opted_out_at = models.DateTimeField(null=True, blank=True)
    phone_opted_out_at = models.DateTimeField(null=True, blank=True)
    # A webhook: POSTs in Statuspage's shape, signed with the secret; `email` is its contact for
    # failure notices (its own email channel stays off unless confirmed as one). Suppressed = paused
    # after repeated failures.
    webhook_url = models.URLField(max_length=500, null=True, blank=True)  # noqa: DJ001
    webhook_secret = models.CharField(max_length=64, blank=True, editable=False)
    webhook_failures = models.PositiveSmallIntegerField(default=0)
    webhook_confirmed_at = models.DateTimeField(null=True, blank=True)
    webhook_suppressed_at = models.DateTimeField(null=True, blank=True)
    webhook_opted_out_at = models.DateTimeField(null=True, blank=True)
    # A chat app's incoming webhook, as an Apprise URL (slack://, discord://, msteams://, ...).
    chat_url = models.CharField(max_length=500, null=True, blank=True)  # noqa: DJ001
    chat_confirmed_at = models.DateTimeField(null=True, blank=True)
    chat_suppressed_at = models.DateTimeField(null=True, blank=True)
    chat_opted_out_at = models.DateTimeField(null=True, blank=True)
    # A browser's Web Push subscription: its endpoint and keys (p256dh, auth).
    push_endpoint = models.URLField(max_length=1000, null=True, blank=True)  # noqa: DJ001
    push_keys = models.JSONField(default=dict, blank=True)
    push_confirmed_at = models.DateTimeField(null=True, blank=True)
    push_suppressed_at = models.DateTimeField(null=True, blank=True)
    push_opted_out_at = models.DateTimeField(null=True, blank=True)
    event_kinds = models.JSONField(default=default_event_kinds)
    all_components = models.BooleanField(default=True)
    components = models.ManyToManyField(Component, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False)
                | Q(phone__isnull=False)
                | Q(webhook_url__isnull=False)
                | Q(chat_url__isnull=False)
                | Q(push_endpoint__isnull=False),
                name="subscriber_has_address",
            ),
            # Address first: the index also finds every page's row for an address (STOP, bounces).
            models.UniqueConstraint(fields=["email", "page"], name="subscriber_email_per_page"),
            models.UniqueConstraint(fields=["phone", "page"], name="subscriber_phone_per_page"),
            models.UniqueConstraint(fields=["webhook_url", "page"], name="subscriber_webhook_per_page"),
            models.UniqueConstraint(fields=["chat_url", "page"], name="subscriber_chat_per_page"),
            models.UniqueConstraint(fields=["push_endpoint", "page"], name="subscriber_push_per_page"),
        ]
        indexes = [
            models.Index(
                fields=["id"], name="subscriber_email_ok", condition=Q(email_confirmed_at__isnull=False)
            ),
            models.Index(
                fields=["id"], name="subscriber_phone_ok", condition=Q(phone_confirmed_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.email or self.phone or self.webhook_url or f"subscriber {self.pk}"

    def confirmed_channels(self) -> list[str]:
        """The channels that reach this subscriber now: confirmed, not suppressed, not stopped."""
        return [
            channel
            for channel, (address, prefix) in CHANNEL_FIELDS.items()
            if getattr(self, address)
            and getattr(self, f"{prefix}_confirmed_at")
            and not (getattr(self, f"{prefix}_suppressed_at") or getattr(self, f"{prefix}_opted_out_at"))
        ]

    def wants(self, event_kind: str, component_ids: set[int], chosen: set[int]) -> bool:
        """Whether this event is one they chose; `chosen` is their component ids (prefetched)."""
        if event_kind not in self.event_kinds:
            return False
        return self.all_components or not component_ids or bool(component_ids & chosen)


class Verification(models.Model):
    """One proof that someone holds an address: a link emailed to it, or a code texted to it.

    Every sign-up (for a new or an already subscribed address) starts a new one, and only what it
    sent proves the address. The sign-up stores just the address; the worker that sends finds or
    creates the subscriber, so the sign-up does the same work whether or not the address is known.
    Tokens and codes are random and only their hashes are kept.
    """

    # The page whose subscription the proof is for: it proves the address for that page only.
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="+", default=default_page_id)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=254)  # the email address or the E.164 number to prove
    # The other half of a sign-up with both an email address and a phone number.
    pair = models.OneToOneField("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.CASCADE, related_name="verifications"
    )
    # SHA-256 of the random token in the link: the verify page's (SMS, made at sign-up) or the
    # emailed confirmation link's (made by the worker that sends it).
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    code_hash = models.CharField(max_length=64, blank=True)  # SMS: HMAC of the code texted last
    sent_at = models.DateTimeField(null=True, blank=True)  # when the link or the last code went
    tries = models.PositiveSmallIntegerField(default=0)  # checks of the last code
    used_at = models.DateTimeField(null=True, blank=True)  # SMS: the right code was entered
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.get_channel_display()} proof {self.pk}"


class FanOut(models.Model):
    """Progress of one event's fan-out; the cursor makes it resumable."""

    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="fanout")
    cursor = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # A component change inside its quiet window: nobody was told; the window's end may release it.
    held = models.BooleanField(default=False)


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SUPPRESSED = "suppressed", "Suppressed"  # the address stopped working or unsubscribed before sending


class Delivery(models.Model):
    """One message for one subscriber by one channel about one event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # When a transient failure's backoff ends; the sweeper leaves the row alone until then.
    retry_at = models.DateTimeField(null=True, blank=True)
    # When an attempt began whose outcome is unknown (its worker died, the provider's answer never
    # came): the provider may hold the message, so the next attempt asks before sending again.
    maybe_sent_at = models.DateTimeField(null=True, blank=True)
    provider_id = models.CharField(max_length=100, blank=True, db_index=True)
    # The provider's own later word (Twilio status callbacks, ESP tracking): delivered, bounced ...
    provider_status = models.CharField(max_length=20, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscriber", "channel"], name="delivery_once_per_channel"
            )
        ]
        indexes = [
            models.Index(
                fields=["updated_at"],
                name="delivery_unfinished",
                condition=Q(status__in=["queued", "sending"]),
            )
        ]


class ImportJob(models.Model):
    """One CSV upload of subscribers, worked through in batches; `processed` is the resume point."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    filename = models.CharField(max_length=255, blank=True)
    # The uploaded text (capped by the upload form); emptied once the import is done.
    contents = models.TextField(blank=True)
    confirmed = models.BooleanField(default=False, help_text="Import every row as already confirmed.")
    page = models.ForeignKey(StatusPage, on_delete=models.CASCADE, related_name="+", default=default_page_id)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    invalid = models.PositiveIntegerField(default=0)
    # The first few row errors, [{"line": 7, "message": "..."}]; `invalid` counts them all.
    errors = models.JSONField(default=list, blank=True)
    # Why a failed job stopped (the file could not be read, the queue was unreachable ...).
    failure = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.filename or 'upload'})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.processed * 100 // self.total)
