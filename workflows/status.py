"""The states of versions, runs, executions and steps."""

from django.db import models


class VersionState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class RunState(models.TextChoices):
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class ExecutionState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    SUCCEEDED = "succeeded", "Succeeded"
    PARKED = "parked", "Parked"
    RESOLVED = "resolved", "Resolved"  # a parked execution an operator re-triggered or retried


class StepState(models.TextChoices):
    STARTED = "started", "Started"  # intent recorded before an external call
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class TriggerKind(models.TextChoices):
    MANUAL = "manual", "Run now"
    SCHEDULE = "schedule", "Schedule"
    WEBHOOK = "webhook", "Webhook"
    RETRIGGER = "retrigger", "Re-trigger"
