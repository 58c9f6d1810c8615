"""The audit app: connects the receivers recording admin edits, sign-ins and permission changes."""

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audit import context, signals  # noqa: F401  (context connects on import)

        signals.connect()
