"""Project settings, all from environment variables; production-safe whenever DEBUG is off.

Unset DATABASE_URL means an SQLite file and unset REDIS_URL the django-q2 ORM broker, so a
fresh clone runs the whole product with one command.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from idconfluence.env import env_bool, env_float, env_int, env_list, env_str, load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
# `make run` keeps its development secrets in a git-ignored .env; IDC_DOTENV="" skips it.
_dotenv = env_str("IDC_DOTENV", str(BASE_DIR / ".env"))
if _dotenv:
    load_dotenv(Path(_dotenv))

DEBUG = env_bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-used-when-debug-is-off"  # noqa: S105
# Old keys still accepted for sessions and resume links while a rotation settles.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "idconfluence.console",  # before the admin: its base_site.html (favicon, styles) wins
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc assets, served locally (no CDN)
    "guardian",
    "django_q",
    "csp",
    "audit",
    "connectors",
    "workflows",
    "approvals",
    "idconfluence.jobs",
    "idconfluence.ops",
    "idconfluence.apitokens",
    "idconfluence.rest",
    "django_prometheus",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "idconfluence.ops.middleware.RequestIdMiddleware",
    "idconfluence.ops.middleware.OverloadMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files without DEBUG (collectstatic)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "idconfluence.middleware.RefuseNulMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "idconfluence.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],  # each app carries its templates (so the wheel does)
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "idconfluence.wsgi.application"

_database_url = env_str("DATABASE_URL")
if _database_url:
    # Persistent connections with health checks: CONN_MAX_AGE=0 made django-q2 5-7x slower.
    DATABASES = {
        "default": dj_database_url.parse(
            _database_url, conn_max_age=env_int("DB_CONN_MAX_AGE", 600), conn_health_checks=True
        )
    }
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        # A server that hangs instead of refusing must not block a sweep or a worker for ever.
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env_int("DB_CONNECT_TIMEOUT", 5)
        )
        # Web processes (threads): a pool per process bounds its connections, and a request
        # waits up to DB_POOL_TIMEOUT for one, then answers 503 (idconfluence.ops.middleware).
        # Not for qcluster: its workers fork, and each keeps its one persistent connection.
        if env_int("DB_POOL_MAX_SIZE", 0):
            DATABASES["default"]["OPTIONS"]["pool"] = {
                "min_size": env_int("DB_POOL_MIN_SIZE", 1),
                "max_size": env_int("DB_POOL_MAX_SIZE", 0),
                "timeout": env_int("DB_POOL_TIMEOUT", 10),
            }
            DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
        # Behind PgBouncer in transaction mode: no server-side cursors, and idconfluence.sql's
        # prepared_cursor() prepares nothing (Django's own cursors never do).
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool("DB_PGBOUNCER")
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Web, workers and watchdog share the file: WAL plus IMMEDIATE avoids lock upgrades.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
if env_str("IDC_TEST_DB_NAME"):
    # Lets several suites share one PostgreSQL server without dropping each other's database.
    DATABASES["default"]["TEST"] = {"NAME": env_str("IDC_TEST_DB_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Filled by `collectstatic` and served by whitenoise (hashed names, compressed, cached for ever).
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "idconfluence.rest.permissions.TokenScope",
    ],
    # Token first: an anonymous call is a 401 with a Bearer challenge. Session auth (the console)
    # keeps DRF's CSRF check on unsafe methods.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "idconfluence.apitokens.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": ["idconfluence.rest.parsers.IntakeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "idconfluence.rest.errors.api_exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "idconfluence API",
    "DESCRIPTION": "Identity workflows: workflows, versions, runs, executions, connectors, "
    "approval tasks and the audit log. Authenticate with an API token (Bearer) or the "
    "console's session.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "idconfluence.rest.schema.add_refusals",
    ],
    "ENUM_NAME_OVERRIDES": {  # one name per choice set (several models have a "state")
        "RunStateEnum": "workflows.status.RunState",
        "ExecutionStateEnum": "workflows.status.ExecutionState",
        "VersionStateEnum": "workflows.status.VersionState",
        "StepStateEnum": "workflows.status.StepState",
        "TaskStateEnum": "approvals.status.TaskState",
    },
}

# Email: console in development, SMTP in production (EMAIL_HOST etc.).
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "idconfluence@localhost")
# Where approvers reach the emailed links (/a/<token>): the public address of the web hosts.
IDC_PUBLIC_URL = env_str("IDC_PUBLIC_URL", "http://localhost:8000")
# The scheme and host the console shows in webhook URLs (behind a proxy); empty: the request's.
IDC_SITE_URL = env_str("IDC_SITE_URL")

# The execution window: every execution finishes within it or is parked for review.
EXECUTION_WINDOW_SECONDS = env_int("IDC_EXECUTION_WINDOW_SECONDS", 15)
IDCONFLUENCE = {
    "EXECUTION_WINDOW_SECONDS": EXECUTION_WINDOW_SECONDS,
    "WATCHDOG_GRACE_SECONDS": env_int("IDC_WATCHDOG_GRACE_SECONDS", 5),
    "WATCHDOG_INTERVAL_SECONDS": env_int("IDC_WATCHDOG_INTERVAL_SECONDS", 2),
    "REQUEUE_AFTER_SECONDS": env_int("IDC_REQUEUE_AFTER_SECONDS", 30),
    "ENCRYPTION_KEYS": env_list("IDC_ENCRYPTION_KEYS"),
    "CONNECTOR_TYPES": env_list("IDC_EXTRA_CONNECTOR_TYPES"),
    # Deliveries one webhook address accepts per minute before answering 429 (0: no limit).
    "WEBHOOK_RATE_PER_MINUTE": env_int("IDC_WEBHOOK_RATE_PER_MINUTE", 600),
    # Executions committed within this many ms share one queue message, up to the batch size.
    "ENQUEUE_DELAY_MS": env_int("IDC_ENQUEUE_DELAY_MS", 5),
    "ENQUEUE_BATCH_SIZE": env_int("IDC_ENQUEUE_BATCH_SIZE", 20),
    "ENQUEUE_INTERVAL_MS": env_int("IDC_ENQUEUE_INTERVAL_MS", 20),
    "ENQUEUE_HOLD_MS": env_int("IDC_ENQUEUE_HOLD_MS", 100),
}
if not IDCONFLUENCE["ENCRYPTION_KEYS"] and not DEBUG:
    raise ImproperlyConfigured(
        "IDC_ENCRYPTION_KEYS must be set when DJANGO_DEBUG is off "
        "(comma-separated Fernet keys, newest first)"
    )
# Running in production (idconfluence.ops): probes, scrapers, overload answers.
IDCONFLUENCE.update(
    {
        # /readyz: a heartbeat older than this fails its check; a queue older, degraded.
        "CLUSTER_HEARTBEAT_MAX_AGE_SECONDS": env_int("IDC_CLUSTER_HEARTBEAT_MAX_AGE_SECONDS", 180),
        "WATCHDOG_HEARTBEAT_MAX_AGE_SECONDS": env_int("IDC_WATCHDOG_HEARTBEAT_MAX_AGE_SECONDS", 60),
        "QUEUE_AGE_LIMIT_SECONDS": env_int("IDC_QUEUE_AGE_LIMIT_SECONDS", 60),
        # /readyz and /metrics: a bearer token, or the scrapers' networks (neither: refused).
        "METRICS_TOKEN": env_str("IDC_METRICS_TOKEN"),
        "METRICS_ALLOWED_NETWORKS": env_list("IDC_METRICS_ALLOWED_NETWORKS"),
        # Step and connector call durations on /metrics: over this many trailing seconds.
        "METRICS_WINDOW_SECONDS": env_int("IDC_METRICS_WINDOW_SECONDS", 900),
        # The Retry-After of a 503 when the database refuses (too many clients, pool timeout).
        "OVERLOAD_RETRY_AFTER_SECONDS": env_int("IDC_OVERLOAD_RETRY_AFTER_SECONDS", 5),
        # Audit sequencing off the request path (audit/sequencer.py, run by the watchdog).
        "AUDIT_SEQUENCER": env_bool("IDC_AUDIT_SEQUENCER", True),
        "AUDIT_SEAL_INTERVAL_SECONDS": env_float("IDC_AUDIT_SEAL_INTERVAL_SECONDS", 0.25),
        "AUDIT_SEAL_ALERT_SECONDS": env_int("IDC_AUDIT_SEAL_ALERT_SECONDS", 60),
    }
)

# django-q2, configured around what we measured of 1.11.1: no re-delivery of failed or killed
# tasks (the database row is the truth and the watchdog re-enqueues), its timeout only a
# backstop a few seconds above the window, guard_cycle 0.5 (other values disable the kill).
_redis_url = env_str("REDIS_URL")
Q_CLUSTER: dict[str, object] = {
    "name": env_str("IDC_Q_NAME", "idconfluence"),
    "workers": env_int("IDC_Q_WORKERS", 2),
    # Only a backstop: the hard stop, the deadline guard (window + 1 s) and the watchdog come
    # first. It counts from the task's start, claim included, so it leaves room for a claim that
    # waited on a lock and for the final commit.
    "timeout": 2 * EXECUTION_WINDOW_SECONDS + 10,
    "retry": 2 * EXECUTION_WINDOW_SECONDS + 40,
    "max_attempts": 1,
    "ack_failures": True,
    "guard_cycle": 0.5,
    "catch_up": False,
    "save_limit": -1,
    "queue_limit": 50,
    "poll": 0.05,
    "label": "Task queue",
}
if _redis_url:
    Q_CLUSTER["redis"] = _redis_url
else:
    Q_CLUSTER["orm"] = "default"

# Plain lines for `make run`, JSON lines in production (IDC_LOG_FORMAT=json); either way with the
# request, run, execution and workflow they belong to, and secrets masked (idconfluence.ops.logs).
LOG_FORMAT = env_str("IDC_LOG_FORMAT", "plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured(f"IDC_LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "idconfluence.ops.logs.ContextFilter"}},
    "formatters": {
        "plain": {
            "()": "idconfluence.ops.logs.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "idconfluence.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("IDC_LOG_LEVEL", "INFO")},
    "loggers": {
        "django-q": {"level": env_str("IDC_Q_LOG_LEVEL", "WARNING")},
        # Its retry warnings print the request path and query, where a secret may travel; our
        # connectors log each call (redacted) and count its attempts instead.
        "urllib3": {"level": "ERROR"},
    },
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Load balancer probes and scrapers may speak plain HTTP to the process itself.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
# Every page: our own scripts, styles and images only (no inline script or style attribute; a
# template that needs an inline script gives it nonce="{{ request.csp_nonce }}").
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
    }
}
X_FRAME_OPTIONS = "DENY"
