"""Notification settings: email, SMS, sending, abuse limits."""

from __future__ import annotations

import hashlib
import ipaddress
import os
from email.utils import parseaddr

from django.core.exceptions import ImproperlyConfigured

from statuspage import vapid_keys
from statuspage.env import env_bool, env_float, env_int, env_list, env_rate, env_str
from statuspage.settings.core import BASE_DIR, SECRET_KEY

# --- Email: Anymail ESP, SMTP, or the console (the default with no settings).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)  # SMTP; Anymail ESPs use REQUESTS_TIMEOUT
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "status@localhost")
# Every ANYMAIL_<NAME> variable becomes ANYMAIL["<NAME>"], e.g. ANYMAIL_POSTMARK_SERVER_TOKEN.
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value for key, value in os.environ.items() if key.startswith("ANYMAIL_")
}
# Tracking webhooks (bounces, complaints) need HTTP basic auth "user:password". Unset, a value
# derived from SECRET_KEY that nobody knows: every webhook call is refused until you set it.
ANYMAIL.setdefault(
    "WEBHOOK_SECRET", "anymail:" + hashlib.sha256(f"anymail-{SECRET_KEY}".encode()).hexdigest()
)

# --- SMS: Twilio when an account is configured, else the console.
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
# Only for tests and API proxies; Twilio's own host by default.
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL")
SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "notifications.providers.twilio_sms.TwilioBackend"
    if TWILIO_ACCOUNT_SID
    else "notifications.providers.sms_backends.ConsoleBackend",
)
SMS_DEFAULT_REGION = env_str("SMS_DEFAULT_REGION", "US")
# --- Chat apps (Slack, Teams, Discord, ...): posted through Apprise; no keys needed, each subscriber
# brings their own webhook. A dotted path, as SMS_BACKEND.
CHAT_BACKEND = env_str("CHAT_BACKEND", "notifications.providers.apprise_chat.AppriseBackend")

NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
FANOUT_CHUNK_SIZE = env_int("FANOUT_CHUNK_SIZE", 500, minimum=1)
# A component that changes status again within this long after subscribers were told waits; at
# the end of the window they hear its latest state once (a flapping probe is one episode).
NOTIFY_COMPONENT_QUIET_SECONDS = env_int("NOTIFY_COMPONENT_QUIET_SECONDS", 300, minimum=0)
# Subscribers are reminded this long before a scheduled maintenance starts (Statuspage's
# scheduled_remind_prior); 0 sends no reminders.
MAINTENANCE_REMINDER_MINUTES = env_int("MAINTENANCE_REMINDER_MINUTES", 60, minimum=0)
CONFIRM_LINK_MAX_AGE_SECONDS = env_int("CONFIRM_LINK_MAX_AGE_SECONDS", 7 * 24 * 3600, minimum=60)
SMS_CODE_MAX_AGE_SECONDS = env_int("SMS_CODE_MAX_AGE_SECONDS", 15 * 60, minimum=60)
SMS_CODE_MAX_TRIES = env_int("SMS_CODE_MAX_TRIES", 5, minimum=1)
# Checks of SMS codes per number (all its codes together) and per client IP, on top of the tries per code.
SMS_CODE_TRIES_PER_NUMBER = env_rate("SMS_CODE_TRIES_PER_NUMBER", "15/86400")
SMS_CODE_TRIES_PER_IP = env_rate("SMS_CODE_TRIES_PER_IP", "20/3600")
# Manage and unsubscribe links of messages sent before links became opaque (they name the subscriber's
# id, the unsubscribe ones its address, both signed): still honoured unless this is turned off.
LEGACY_SUBSCRIBER_LINKS = env_bool("LEGACY_SUBSCRIBER_LINKS", True)
# Retries of transient send errors: base * 2^(attempt-1) seconds, capped.
NOTIFY_RETRY_BASE_SECONDS = env_float("NOTIFY_RETRY_BASE_SECONDS", 10, minimum=0.1)
NOTIFY_RETRY_CAP_SECONDS = env_float("NOTIFY_RETRY_CAP_SECONDS", 600, minimum=1)
# The sweeper re-enqueues fan-outs and queued deliveries untouched this long (broker down, worker
# killed), and re-queues deliveries stuck in "sending" past the task's hard time limit.
NOTIFY_STRANDED_AFTER_SECONDS = env_int("NOTIFY_STRANDED_AFTER_SECONDS", 120, minimum=1)
NOTIFY_SENDING_STUCK_SECONDS = env_int("NOTIFY_SENDING_STUCK_SECONDS", 600, minimum=1)
PROVIDER_TIMEOUT_SECONDS = env_float("PROVIDER_TIMEOUT_SECONDS", 10, minimum=0.1)
# Webhook and chat deliveries: a 2xx within this many seconds (connect and answer together) is success.
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", 30, minimum=0.1)
# A webhook whose deliveries fail this many times in a row (each after its retries) is paused and its
# contact emailed; the manage page resumes it.
WEBHOOK_PAUSE_AFTER_FAILURES = env_int("WEBHOOK_PAUSE_AFTER_FAILURES", 10, minimum=1)
# CIDRs webhooks may reach although they are not public (loopback, private, ...), comma-separated,
# e.g. "10.20.0.0/16,fd00:1::/64". Empty: only public internet addresses.
WEBHOOK_ALLOWED_NETWORKS = env_list("WEBHOOK_ALLOWED_NETWORKS")
for _network in WEBHOOK_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(
            f"WEBHOOK_ALLOWED_NETWORKS has {_network!r}, which is not a network like 10.0.0.0/8"
        ) from None

# --- Abuse limits ("count/seconds"), counted in the cache; they fail open if it is down.
SIGNUP_LIMIT_PER_IP = env_rate("SIGNUP_LIMIT_PER_IP", "30/3600")
SMS_SIGNUP_LIMIT_PER_IP = env_rate("SMS_SIGNUP_LIMIT_PER_IP", "10/14400")
CONFIRMATIONS_PER_DESTINATION = env_rate("CONFIRMATIONS_PER_DESTINATION", "3/3600")
# Behind N reverse proxies, the client is the Nth address from the right of X-Forwarded-For.
NUM_PROXIES = env_int("NUM_PROXIES", 0, minimum=0)
# ISO 3166 regions that may sign up for SMS; "*" allows all (SMS pumping fraud targets the rest).
SMS_ALLOWED_COUNTRIES = env_list(
    "SMS_ALLOWED_COUNTRIES",
    "US CA GB GG JE IM IE FR DE NL BE LU ES PT IT AT CH SE NO DK FI IS PL CZ AU NZ".split(),
)
# Kinds of number (phonenumbers' PhoneNumberType names) that may get texts. SMS pumping fraud has codes
# sent to premium-rate, shared-cost, personal and UAN numbers; toll-free and voicemail can't read them.
SMS_ALLOWED_NUMBER_TYPES = env_list("SMS_ALLOWED_NUMBER_TYPES", ["MOBILE", "FIXED_LINE_OR_MOBILE"])
if unknown_types := set(SMS_ALLOWED_NUMBER_TYPES) - {
    *"FIXED_LINE MOBILE FIXED_LINE_OR_MOBILE TOLL_FREE PREMIUM_RATE SHARED_COST VOIP".split(),
    *"PERSONAL_NUMBER PAGER UAN VOICEMAIL UNKNOWN".split(),
}:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"SMS_ALLOWED_NUMBER_TYPES has unknown types: {', '.join(sorted(unknown_types))}"
    )
# Sends per second per channel, shared by all workers (a token bucket in Redis); 0 = no limit.
# A Twilio long code takes 1 SMS/s; a toll-free or short code more.
SMS_RATE_PER_SECOND = env_float("SMS_RATE_PER_SECOND", 0, minimum=0)
EMAIL_RATE_PER_SECOND = env_float("EMAIL_RATE_PER_SECOND", 0, minimum=0)
# Webhooks, chat apps and push services each go to many hosts, each with its own limits (Slack takes
# about 1 message/s per webhook); these bound only what this site sends in all, e.g. to spare its
# outbound bandwidth or a proxy. 0 = no limit.
WEBHOOK_RATE_PER_SECOND = env_float("WEBHOOK_RATE_PER_SECOND", 0, minimum=0)
CHAT_RATE_PER_SECOND = env_float("CHAT_RATE_PER_SECOND", 0, minimum=0)
PUSH_RATE_PER_SECOND = env_float("PUSH_RATE_PER_SECOND", 0, minimum=0)
# Twilio posts delivery receipts here (needs a public SITE_URL).
TWILIO_STATUS_CALLBACKS = env_bool("TWILIO_STATUS_CALLBACKS", True)

# --- Browser push: Web Push signed with VAPID. In production set the pair (and a real subject): browsers
# tie each subscription to the public key. Unset, a pair is made once in .vapid_keys (mode 0600) and
# `make run` says so; VAPID_PRIVATE_KEY alone is enough (the public key follows from it).
VAPID_PRIVATE_KEY = env_str("VAPID_PRIVATE_KEY").strip()
VAPID_PUBLIC_KEY = env_str("VAPID_PUBLIC_KEY").strip()
# Who push services write to about this sender: mailto: or https:, DEFAULT_FROM_EMAIL's address if unset.
VAPID_SUBJECT = env_str("VAPID_SUBJECT") or f"mailto:{parseaddr(DEFAULT_FROM_EMAIL)[1] or 'status@localhost'}"
PUSH_BACKEND = env_str("PUSH_BACKEND", "notifications.providers.web_push.WebPushBackend")
# How long a push service keeps a message for a browser that is offline; after that it is dropped.
PUSH_TTL_SECONDS = env_int("PUSH_TTL_SECONDS", 4 * 3600, minimum=0)
if not VAPID_PRIVATE_KEY:
    if VAPID_PUBLIC_KEY:
        raise ImproperlyConfigured("VAPID_PUBLIC_KEY is set without VAPID_PRIVATE_KEY: set both, or neither")
    VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY, _ = vapid_keys.local_pair(BASE_DIR / ".vapid_keys")
try:
    _derived = vapid_keys.public_key_of(VAPID_PRIVATE_KEY)
except vapid_keys.BadKey as _exc:
    raise ImproperlyConfigured(f"VAPID_PRIVATE_KEY is {_exc} (base64url of the 32-byte P-256 key)") from None
if VAPID_PUBLIC_KEY and vapid_keys.b64url_decode(VAPID_PUBLIC_KEY) != vapid_keys.b64url_decode(_derived):
    raise ImproperlyConfigured("VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY")
VAPID_PUBLIC_KEY = _derived
if not VAPID_SUBJECT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(f"VAPID_SUBJECT must be a mailto: or https: URL, got {VAPID_SUBJECT!r}")
