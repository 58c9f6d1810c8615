"""A connector configured once (type, config, encrypted credentials) and reused by any workflow."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.db import models

from connectors import crypto
from idconfluence.validators import multi_line, single_line


class HealthStatus(models.TextChoices):
    UNKNOWN = "unknown", "Not checked"
    OK = "ok", "Healthy"
    FAILING = "failing", "Failing"


class Connector(models.Model):
    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[
            RegexValidator(r"^[a-z0-9][a-z0-9_-]*\Z", "lowercase letters, digits, - and _"),
            single_line,
        ],
        help_text="How workflows refer to this connector.",
    )
    type = models.CharField(max_length=50)
    description = models.TextField(blank=True, validators=[multi_line])
    config = models.JSONField(default=dict, blank=True)
    secrets_encrypted = models.TextField(blank=True, editable=False)
    enabled = models.BooleanField(default=True)
    health_status = models.CharField(
        max_length=20, choices=HealthStatus.choices, default=HealthStatus.UNKNOWN
    )
    health_message = models.TextField(blank=True)
    health_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [("use_connector", "Can use connector in workflows")]

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"

    def get_secrets(self) -> dict[str, str]:
        return crypto.decrypt_json(self.secrets_encrypted)

    def set_secrets(self, secrets: dict[str, str]) -> None:
        kept = {key: value for key, value in secrets.items() if value}
        self.secrets_encrypted = crypto.encrypt_json(kept) if kept else ""

    def masked_secrets(self) -> dict[str, str]:
        """For display: which secrets are set, never their values."""
        return dict.fromkeys(self.get_secrets(), "********")

    def instance(self) -> Any:
        from connectors.registry import get_type

        cls = get_type(self.type)
        return cls(name=self.name, config=self.config, secrets=self.get_secrets())


class LocalGrant(models.Model):
    """State of the built-in local directory connector: who holds which access, role or group."""

    class Kind(models.TextChoices):
        ACCESS = "access"
        ROLE = "role"
        GROUP = "group"

    connector = models.ForeignKey(Connector, on_delete=models.CASCADE, related_name="local_grants")
    user = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    value = models.CharField(max_length=255)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connector", "user", "kind", "value"], name="local_grant_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.value}"
