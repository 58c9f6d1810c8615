"""A machine client's token. Only a SHA-256 of the token is stored, with a short prefix to find
the row: a copy of the database lets nobody call the API."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from idconfluence.validators import single_line


class Scope(models.TextChoices):
    READ = "read", "Read (GET only)"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    name = models.CharField(
        max_length=100, validators=[single_line], help_text="Which client uses it, e.g. 'HR sync'."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        help_text="The token acts as this user, with this user's permissions (never more).",
    )
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.READ)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…, {self.scope})"

    def refusal(self) -> str:
        """Why this token may not be used now; '' while it may."""
        if self.revoked_at is not None:
            return "This API token was revoked."
        if self.expires_at is not None and self.expires_at <= timezone.now():
            return "This API token has expired."
        if not self.user.is_active:
            return "The user this API token acts for is inactive."
        return ""
