"""Settings: every value comes from the environment, with safe local defaults."""

from __future__ import annotations

import contextlib
import hashlib
import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from statuspage.env import env_bool, env_float, env_int, env_list, env_rate, env_str, local_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    # Local runs: one random key per checkout, shared by web, worker and beat, never committed.
    SECRET_KEY = local_secret_key(BASE_DIR / ".secret_key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# HTTPS in production (README "Security"); off by default so `make run` works over plain http.
if env_bool("TRUST_X_FORWARDED_PROTO", False):  # only behind a proxy that sets it (the README's nginx)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
# Absolute links in emails and SMS point here.
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
SITE_NAME = env_str("SITE_NAME", "Example Status")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    # Staff sign-in: lockout after failed logins, second factors (TOTP, recovery codes, passkeys).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "incidents",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files (the favicon, the admin's and the API browser's) straight from the app server.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    # A session still owing its second factor reaches only the pages that take it.
    "incidents.console.sign_in.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused for too many failures into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Axes first: it refuses a locked-out username or address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "statuspage.urls"
WSGI_APPLICATION = "statuspage.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "statuspage.context_processors.site",
                "incidents.public.banner.active_incidents",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, worker and beat share one file: wait for locks instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    # A file (not :memory:) so a test's Celery worker process can see the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f".test-db-{os.getpid()}.sqlite3")}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "statuspage",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Scripts and styles only from this site's own files: no inline code, no other origin. The
# public pages are served from snapshots shared by everyone, so they cannot carry nonces.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "statuspage" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Gzip (and Brotli, when installed) copies are made by collectstatic. No manifest of hashed
    # names: a page never fails for want of a collectstatic run (gunicorn in the bench, make run).
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# WhiteNoise serves the apps' static folders as they are, and STATIC_ROOT once collected (it warns
# at every start while that folder is missing, so an empty one is made).
WHITENOISE_USE_FINDERS = True
with contextlib.suppress(OSError):
    STATIC_ROOT.mkdir(exist_ok=True)

LOGIN_URL = "console-login"
LOGIN_REDIRECT_URL = "console"
LOGOUT_REDIRECT_URL = "status-page"

# --- Staff sign-in (console and admin): lockout, second factor.
# After this many failed logins (wrong password or wrong second-factor code) for one username, or
# from one client address, logins for it pause for STAFF_LOGIN_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = env_int("STAFF_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("STAFF_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# The pause counts from the last failure before it, so the time the lockout page gives is true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "incidents.console.sign_in.locked_out"
# The same client address as the sign-up limits (NUM_PROXIES).
AXES_CLIENT_IP_CALLABLE = "notifications.signup.abuse_limits.client_ip"
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "password", "code"]
AXES_VERBOSE = False
# Admins (the role, and superusers) must pass a second factor when this is on; anyone who has set
# one up must use it either way.
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", False)
OTP_TOTP_ISSUER = SITE_NAME
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows anyone's TOTP key or recovery codes
# Passkeys belong to the site's host name; browsers allow them over HTTPS, or http://localhost.
_site = urlsplit(SITE_URL)
OTP_WEBAUTHN_RP_ID = _site.hostname or "localhost"
OTP_WEBAUTHN_RP_NAME = SITE_NAME
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{_site.scheme}://{_site.netloc}"]
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False  # a passkey is a second factor, after the password
SILENCED_SYSTEM_CHECKS = []
if _site.scheme != "https" and OTP_WEBAUTHN_RP_ID != "localhost":
    # A plain-HTTP SITE_URL (a LAN address in development): passkeys cannot work there, the rest can.
    SILENCED_SYSTEM_CHECKS.append("otp_webauthn.E031")

# --- Celery: JSON only, late acks, time limits on every task.
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 60, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 90, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Without this, publishing while Redis is down would hang a web request.
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 1, "max_retries": 2}
# A publish while Redis is unreachable fails fast (the sweeper re-sends what was not enqueued).
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "statuspage")
CELERY_BEAT_SCHEDULE = {
    "sweep-unfinished-notifications": {
        "task": "notifications.tasks.sweep",
        "schedule": env_int("SWEEP_INTERVAL_SECONDS", 60, minimum=5),
    },
    "dispatch-due-probes": {"task": "incidents.tasks.dispatch_due_probes", "schedule": 5.0},
    "check-heartbeats": {"task": "incidents.tasks.check_heartbeats", "schedule": 15.0},
    "maintenance-schedule": {"task": "incidents.tasks.run_maintenance_schedule", "schedule": 15.0},
    "rebuild-snapshots": {"task": "incidents.tasks.rebuild_snapshots", "schedule": 60.0},
    "tick-uptime": {"task": "incidents.tasks.tick_uptime", "schedule": 60.0},
    "prune-results": {"task": "incidents.tasks.prune_results", "schedule": 3600.0},
    "resolve-recovered-incidents": {"task": "incidents.tasks.resolve_recovered_incidents", "schedule": 30.0},
}

# --- Probes: this worker's location, and every location that runs active probes.
# A worker consumes the queue "probes.<PROBE_LOCATION>" besides the default one.
PROBE_LOCATION = env_str("PROBE_LOCATION", "local")
PROBE_LOCATIONS = env_list("PROBE_LOCATIONS", [PROBE_LOCATION])
RESULTS_RETENTION_DAYS = env_int("RESULTS_RETENTION_DAYS", 30, minimum=1)
# An auto-created incident resolves itself once all its components have been operational this long
# (unless a person has posted an update to it).
AUTO_RESOLVE_AFTER_SECONDS = env_int("AUTO_RESOLVE_AFTER_SECONDS", 300, minimum=0)

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

NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
FANOUT_CHUNK_SIZE = env_int("FANOUT_CHUNK_SIZE", 500, minimum=1)
# A component that changes status again within this long after subscribers were told waits; at
# the end of the window they hear its latest state once (a flapping probe is one episode).
NOTIFY_COMPONENT_QUIET_SECONDS = env_int("NOTIFY_COMPONENT_QUIET_SECONDS", 300, minimum=0)
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
# Twilio posts delivery receipts here (needs a public SITE_URL).
TWILIO_STATUS_CALLBACKS = env_bool("TWILIO_STATUS_CALLBACKS", True)

# --- Staff API (/api/v1/): tokens are made in the admin (Auth Token > Tokens).
REST_FRAMEWORK = {
    # Token first: its "WWW-Authenticate: Token" makes unauthenticated requests a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} staff API",
    "DESCRIPTION": (
        "Incidents, their updates, scheduled maintenance and component status, for staff. "
        "Authenticate with `Authorization: Token <key>`; tokens are created in the admin."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ComponentStatusEnum": "incidents.models.ComponentStatus",
        "ImpactEnum": "incidents.models.Impact",
        "TimelineStatusEnum": "incidents.models.IncidentStatus",
        "IncidentStatusEnum": "incidents.api.serializers.INCIDENT_STATUS_CHOICES",
        "DeclareStatusEnum": "incidents.api.serializers.DECLARE_STATUSES",
        "IncidentUpdateStatusEnum": "incidents.api.serializers.INCIDENT_UPDATE_STATUSES",
        "MaintenanceStatusEnum": "incidents.api.serializers.MAINTENANCE_UPDATE_STATUSES",
    },
}

# --- Public snapshots: "/" and /api/v2/* rendered once per change, kept in the cache and on disk.
SNAPSHOTS_ENABLED = env_bool("SNAPSHOTS_ENABLED", True)
SNAPSHOT_DIR = env_str("SNAPSHOT_DIR", str(BASE_DIR / ".run" / "snapshots"))
PUBLIC_MAX_AGE_SECONDS = env_int("PUBLIC_MAX_AGE_SECONDS", 10, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # Beat sends dispatch_due_probes every 5 s: its received/succeeded/sending lines at INFO
        # would be a third of the worker log. Its warnings and errors, and every other task, stay.
        "quiet_frequent_tasks": {
            "()": "statuspage.log_filters.QuietTasks",
            "tasks": ["incidents.tasks.dispatch_due_probes"],
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        name: {"filters": ["quiet_frequent_tasks"]}
        for name in ("celery.worker.strategy", "celery.app.trace", "celery.beat")
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
