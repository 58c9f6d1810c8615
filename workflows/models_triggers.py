"""Trigger state kept beside the workflow: a schedule's next due instant and the instants it
fired, a webhook endpoint's token and encrypted secret, and every delivery it received.

Two unique constraints carry the "exactly once" promises, so no code path relies on
check-then-insert: one fire per (schedule, scheduled instant), and one accepted delivery per
(endpoint, event key). Imported at the bottom of workflows/models.py.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from workflows.models import Run, Workflow, WorkflowVersion
from workflows.status import VersionState

__all__ = [
    "DeliveryOutcome",
    "ScheduleFire",
    "TriggerSchedule",
    "UnknownHookSource",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookRate",
]


class TriggerSchedule(models.Model):
    """The clock of a workflow whose published trigger is a schedule."""

    workflow = models.OneToOneField(
        Workflow, on_delete=models.CASCADE, related_name="trigger_schedule"
    )
    config = models.JSONField(default=dict, help_text="The published trigger's schedule config")
    fingerprint = models.CharField(max_length=64, help_text="Of the fields that decide fire times")
    cron = models.CharField(max_length=100)
    timezone = models.CharField(max_length=64)
    max_lateness_seconds = models.PositiveIntegerField(default=3600)
    active = models.BooleanField(default=True)
    paused_at = models.DateTimeField(
        null=True, blank=True, help_text="Paused by an operator: nothing fires until resumed."
    )
    next_fire_at = models.DateTimeField(null=True, blank=True)
    last_fired_at = models.DateTimeField(null=True, blank=True)
    last_scheduled_for = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_fire_at"]
        indexes = [models.Index(fields=["active", "next_fire_at"])]

    def __str__(self) -> str:
        return f"{self.workflow.slug}: {self.cron} ({self.timezone})"


class ScheduleFire(models.Model):
    """One scheduled instant, fired (or parked as too late): never two for the same instant."""

    schedule = models.ForeignKey(TriggerSchedule, on_delete=models.CASCADE, related_name="fires")
    scheduled_for = models.DateTimeField()
    fired_at = models.DateTimeField()
    lateness_seconds = models.PositiveIntegerField(default=0)
    too_late = models.BooleanField(default=False)
    missed = models.PositiveIntegerField(default=1, help_text="Instants this row stands for")
    run = models.OneToOneField(
        Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="schedule_fire"
    )

    class Meta:
        ordering = ["-scheduled_for"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "scheduled_for"], name="schedule_fires_once_per_instant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule_id} @ {self.scheduled_for:%Y-%m-%d %H:%M}Z"


class WebhookEndpoint(models.Model):
    """`/hooks/<token>/` of a workflow whose published trigger is a webhook. The secret is stored
    encrypted and shown once, when it is rotated; the previous one stays valid for a while so a
    sender can switch over without losing deliveries."""

    workflow = models.OneToOneField(
        Workflow, on_delete=models.CASCADE, related_name="webhook_endpoint"
    )
    token = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(default=True)
    secret_encrypted = models.TextField(blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    previous_secret_encrypted = models.TextField(blank=True)
    previous_valid_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workflow"]

    def __str__(self) -> str:
        return f"webhook of {self.workflow.slug}"

    @property
    def has_secret(self) -> bool:
        return bool(self.secret_encrypted)


class DeliveryOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted (run started)"
    DUPLICATE = "duplicate", "Duplicate (answered with the first run)"
    IGNORED = "ignored", "Ignored by the trigger's filter"
    REFUSED = "refused", "Refused"


class WebhookDelivery(models.Model):
    """One HTTP delivery, accepted or refused, for operators. Secrets are never stored, and the
    body only of deliveries that passed authentication and parsing."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    received_at = models.DateTimeField(db_index=True)
    outcome = models.CharField(max_length=20, choices=DeliveryOutcome.choices)
    status_code = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=500, blank=True)
    event_key = models.CharField(
        max_length=255, blank=True, help_text="webhook-id, or the payload's idempotency key"
    )
    headers = models.JSONField(default=dict, blank=True)
    body_size = models.PositiveIntegerField(null=True, blank=True)
    payload = models.JSONField(null=True, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    run = models.ForeignKey(
        Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="webhook_deliveries"
    )

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_key"],
                condition=Q(outcome="accepted") & ~Q(event_key=""),
                name="webhook_event_starts_one_run",
            )
        ]
        indexes = [models.Index(fields=["endpoint", "-received_at"])]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.outcome}, {self.status_code})"


class WebhookRate(models.Model):
    """An endpoint's deliveries in its current minute: one row per endpoint, upserted once per
    delivery (the count restarts at 1 when the minute changes)."""

    endpoint = models.OneToOneField(
        WebhookEndpoint, primary_key=True, on_delete=models.CASCADE, related_name="rate"
    )
    minute = models.BigIntegerField(help_text="Unix time // 60 of the counted minute")
    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.hits} deliveries in minute {self.minute} to endpoint {self.endpoint_id}"


class UnknownHookSource(models.Model):
    """Refusals of `/hooks/<token>/` for tokens that name no active endpoint, counted per source
    (an IPv4 address or an IPv6 /64): one row per source, however many it sends, instead of a
    delivery row and an audit event each."""

    source = models.CharField(max_length=64, unique=True, help_text="IP address or IPv6 /64")
    refusals = models.PositiveBigIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_at"]

    def __str__(self) -> str:
        return f"{self.source}: {self.refusals} unknown-address refusals"


def _sync_triggers_on_publish(
    sender: type, instance: WorkflowVersion, update_fields: Any = None, **kwargs: Any
) -> None:
    """A newly published version decides the workflow's schedule and endpoint."""
    if instance.state != VersionState.PUBLISHED:
        return
    if update_fields is not None and "state" not in update_fields:
        return
    from workflows.services.triggers import triggers_sync

    triggers_sync(version=instance)


models.signals.post_save.connect(
    _sync_triggers_on_publish, sender=WorkflowVersion, dispatch_uid="workflows.triggers_sync"
)
