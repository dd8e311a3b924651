"""The project's core settings: apps, database, cache, Celery, probes, static files, the API."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dj_database_url

from statuspage.env import env_bool, env_int, env_list, env_str, local_secret_key

BASE_DIR = Path(__file__).resolve().parents[2]

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    # Local runs: one random key per checkout, shared by web, worker and beat, never committed.
    SECRET_KEY = local_secret_key(BASE_DIR / ".secret_key")

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
    # request.status_page, by Host or /p/<slug>/ (incidents/public/page_routing.py).
    "incidents.public.page_routing.PageMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A private page's routes answer only to those its access rule lets in (incidents/public/page_access.py).
    "incidents.public.page_access.PageAccessMiddleware",
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

# Absolute: under /p/<slug>/ the script prefix would otherwise be put before it.
STATIC_URL = "/static/"
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
# nginx serves SNAPSHOT_DIR/$host; private pages' snapshots go only to SNAPSHOT_PRIVATE_DIR.
SNAPSHOT_DIR = env_str("SNAPSHOT_DIR", str(BASE_DIR / ".run" / "snapshots"))
SNAPSHOT_PRIVATE_DIR = env_str("SNAPSHOT_PRIVATE_DIR", SNAPSHOT_DIR.rstrip("/") + "-private")
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
