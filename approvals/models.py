"""Human-input tasks: one open task per waiting block, its emailed links, and out-of-office
delegations. A link's token is stored only as its SHA-256 hash."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from approvals.status import EmailState, TaskState


class ApprovalTask(models.Model):
    run = models.ForeignKey("workflows.Run", on_delete=models.PROTECT, related_name="+")
    execution = models.ForeignKey("workflows.Execution", on_delete=models.PROTECT, related_name="+")
    block_key = models.CharField(max_length=64)
    title = models.CharField(max_length=255)
    instructions = models.TextField(blank=True)
    # who: the configured value as resolved (an address, or a group), and the user if one matches
    assignee = models.CharField(max_length=255, blank=True)
    assignee_email = models.EmailField(blank=True)
    assignee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf_of = models.EmailField(blank=True)  # the delegating assignee, when delegated
    subject = models.CharField(max_length=255, blank=True)  # whose access: may not decide
    outcomes = models.JSONField(default=list)
    require_comment_to_reject = models.BooleanField(default=False)
    require_sign_in = models.BooleanField(default=False)
    config = models.JSONField(default=dict)  # deadline, calendar, reminders, chain, depth
    due_at = models.DateTimeField()
    due_text = models.CharField(max_length=100, blank=True)  # absolute local date and time
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="escalated_to"
    )
    state = models.CharField(max_length=16, choices=TaskState.choices, default=TaskState.OPEN)
    state_note = models.CharField(max_length=255, blank=True)
    decision = models.CharField(max_length=32, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_email = models.CharField(max_length=255, blank=True)
    decided_on_behalf_of = models.CharField(max_length=255, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    email_state = models.CharField(
        max_length=16, choices=EmailState.choices, default=EmailState.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_error = models.CharField(max_length=500, blank=True)
    email_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at"]
        permissions = [("decide_approvaltask", "Can decide approval tasks")]
        indexes = [models.Index(fields=["state", "due_at"])]
        constraints = [
            # A waiting block has at most one open task: opening twice cannot ask twice.
            models.UniqueConstraint(
                fields=["run", "block_key"],
                condition=Q(state="open"),
                name="approvals_one_open_task_per_block",
            )
        ]

    def __str__(self) -> str:
        return f"task {self.pk}: {self.title}"


class ApprovalLink(models.Model):
    task = models.ForeignKey(ApprovalTask, on_delete=models.CASCADE, related_name="links")
    email = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf_of = models.EmailField(blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"link for {self.email} (task {self.task_id})"


class Delegation(models.Model):
    """Out of office: from `starts_on` to `ends_on` (inclusive) `user`'s tasks go to `delegate`."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="approvals_delegation_range"
            ),
            models.CheckConstraint(
                condition=~Q(user=models.F("delegate")), name="approvals_delegation_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.delegate} ({self.starts_on}..{self.ends_on})"
