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
    RESOLVED = "resolved", "Resolved"  # parked, then retried, re-triggered or closed by an operator
    RESUMED = "resumed", "Resumed"  # a waiting execution whose run went on after a decision
    CANCELLED = "cancelled", "Cancelled"  # an operator cancelled the run before it went on


# An execution in one of these states may still lead somewhere: at most one per run at a time.
LIVE_EXECUTION_STATES = frozenset(
    {ExecutionState.QUEUED, ExecutionState.RUNNING, ExecutionState.WAITING}
)


class StepState(models.TextChoices):
    STARTED = "started", "Started"  # intent recorded before an external call
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown (may have been applied)"  # the call's outcome was never learnt


class TriggerKind(models.TextChoices):
    MANUAL = "manual", "Run now"
    SCHEDULE = "schedule", "Schedule"
    WEBHOOK = "webhook", "Webhook"
    RETRIGGER = "retrigger", "Re-trigger"
