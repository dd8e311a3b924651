"""Settings: every value comes from the environment, with safe local defaults."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

from statuspage.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    # Local runs: one random key per checkout, shared by web, worker and beat, never committed.
    _key_file = BASE_DIR / ".secret_key"
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(50))
    SECRET_KEY = _key_file.read_text().strip()

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
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
    "incidents",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGIN_URL = "console-login"
LOGIN_REDIRECT_URL = "console"
LOGOUT_REDIRECT_URL = "status-page"

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
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "max_retries": 2}
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "statuspage")
CELERY_BEAT_SCHEDULE = {
    "sweep-unfinished-notifications": {
        "task": "notifications.tasks.sweep",
        "schedule": env_int("SWEEP_INTERVAL_SECONDS", 60, minimum=5),
    },
    "dispatch-due-probes": {"task": "incidents.tasks.dispatch_due_probes", "schedule": 5.0},
    "check-heartbeats": {"task": "incidents.tasks.check_heartbeats", "schedule": 15.0},
    "maintenance-schedule": {"task": "incidents.tasks.run_maintenance_schedule", "schedule": 15.0},
    "tick-uptime": {"task": "incidents.tasks.tick_uptime", "schedule": 60.0},
    "prune-results": {"task": "incidents.tasks.prune_results", "schedule": 3600.0},
}

# --- Probes: this worker's location, and every location that runs active probes.
# A worker consumes the queue "probes.<PROBE_LOCATION>" besides the default one.
PROBE_LOCATION = env_str("PROBE_LOCATION", "local")
PROBE_LOCATIONS = env_list("PROBE_LOCATIONS", [PROBE_LOCATION])
RESULTS_RETENTION_DAYS = env_int("RESULTS_RETENTION_DAYS", 30, minimum=1)

# --- Email: Anymail ESP, SMTP, or the console (the default with no settings).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
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

# --- SMS: Twilio when an account is configured, else the console.
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER")
# Only for tests and API proxies; Twilio's own host by default.
TWILIO_API_BASE_URL = env_str("TWILIO_API_BASE_URL")
SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "notifications.sms_backends.TwilioBackend"
    if TWILIO_ACCOUNT_SID
    else "notifications.sms_backends.ConsoleBackend",
)
SMS_DEFAULT_REGION = env_str("SMS_DEFAULT_REGION", "US")

NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 6, minimum=1)
FANOUT_CHUNK_SIZE = env_int("FANOUT_CHUNK_SIZE", 500, minimum=1)
CONFIRM_LINK_MAX_AGE_SECONDS = env_int("CONFIRM_LINK_MAX_AGE_SECONDS", 7 * 24 * 3600, minimum=60)
SMS_CODE_MAX_AGE_SECONDS = env_int("SMS_CODE_MAX_AGE_SECONDS", 15 * 60, minimum=60)
SMS_CODE_MAX_TRIES = env_int("SMS_CODE_MAX_TRIES", 5, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
