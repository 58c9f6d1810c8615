"""Settings for the test suite: the production module with test-only environment defaults."""

import os

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-" + "x" * 50)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# A fixed Fernet key for tests only (urlsafe base64 of 32 bytes).
os.environ.setdefault("IDC_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LTMyYiE=")
os.environ.setdefault("IDC_EXECUTION_WINDOW_SECONDS", "3")
os.environ.setdefault("IDC_WATCHDOG_GRACE_SECONDS", "1")
os.environ.setdefault("IDC_EXTRA_CONNECTOR_TYPES", "tests.support.connector_types.JournalConnector")
# Most tests read audit events right after the change: chained in its transaction. The
# sequencer's own tests, the cluster tests that run a watchdog and the benchmarks turn it on.
os.environ.setdefault("IDC_AUDIT_SEQUENCER", "0")
# A message held to fill while the broker has a backlog (test databases keep unconsumed ones)
# would land in the next test; the hold's own tests turn it on.
os.environ.setdefault("IDC_ENQUEUE_HOLD_MS", "0")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

from idconfluence.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# The suite never runs collectstatic: plain names, served from the apps' folders.
STATIC_ROOT = None  # type: ignore[assignment]  # no directory for whitenoise to scan
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
