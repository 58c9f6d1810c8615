"""The states of approval tasks and of their emails."""

from django.db import models


class TaskState(models.TextChoices):
    OPEN = "open", "open"
    DECIDED = "decided", "decided"
    EXPIRED = "expired", "expired (took the timeout edge)"
    ESCALATED = "escalated", "escalated (a new task went up the chain)"
    CANCELLED = "cancelled", "cancelled"


class EmailState(models.TextChoices):
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed (retried by the sweep)"
