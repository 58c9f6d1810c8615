"""Workflows, versions (one graph representation: Block and Edge rows), runs, executions, steps.

A published version is frozen: blocks and edges refuse to be saved or deleted once their version
leaves the draft state, whatever path (service, admin, import) tries.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from idconfluence.validators import multi_line, single_line
from workflows.run_subjects import run_subject
from workflows.status import ExecutionState, RunState, StepState, TriggerKind, VersionState


class FrozenVersionError(Exception):
    """Raised on any attempt to change a version that is no longer a draft."""


class FourEyes(models.TextChoices):
    AUTO = "auto", "On when a block grants access"
    ON = "on", "On"
    OFF = "off", "Off"


class Workflow(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, validators=[single_line])
    description = models.TextField(blank=True, validators=[multi_line])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_workflows",
    )
    enabled = models.BooleanField(default=True)
    four_eyes = models.CharField(
        "four-eyes publishing",
        max_length=10,
        choices=FourEyes.choices,
        default=FourEyes.AUTO,
        help_text="When on, the person who last changed a draft cannot publish it: another "
        "person with publish permission must.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Set: in the recycle bin (fires no trigger, hidden from the list; restorable).",
    )

    class Meta:
        ordering = ["slug"]
        permissions = [
            ("publish_workflow", "Can publish workflow versions"),
            ("run_workflow", "Can run workflow"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def in_recycle_bin(self) -> bool:
        return self.deleted_at is not None

    @property
    def published_version(self) -> WorkflowVersion | None:
        return self.versions.filter(state=VersionState.PUBLISHED).order_by("-number").first()

    @property
    def draft(self) -> WorkflowVersion | None:
        return self.versions.filter(state=VersionState.DRAFT).first()


class WorkflowVersion(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    state = models.CharField(
        max_length=20, choices=VersionState.choices, default=VersionState.DRAFT
    )
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the document")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who last changed this draft's content (four-eyes: not its publisher).",
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    change_note = models.TextField(
        blank=True, validators=[multi_line], help_text="What this version changed, set on publish."
    )

    class Meta:
        ordering = ["workflow", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "number"], name="version_number_unique"),
            models.UniqueConstraint(
                fields=["workflow"], condition=Q(state="draft"), name="one_draft_per_workflow"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workflow.slug} v{self.number} ({self.state})"

    @property
    def is_draft(self) -> bool:
        return self.state == VersionState.DRAFT


def _refuse_unless_draft(sender: type, instance: models.Model, **kwargs: object) -> None:
    """A published or retired version's blocks and edges can never change, by any ORM path."""
    version_id = getattr(instance, "version_id", None)
    if version_id is None:
        return
    state = WorkflowVersion.objects.filter(pk=version_id).values_list("state", flat=True).first()
    if state is not None and state != VersionState.DRAFT:
        raise FrozenVersionError(f"version is {state}; published versions are never modified")


class Block(models.Model):
    version = models.ForeignKey(WorkflowVersion, on_delete=models.CASCADE, related_name="blocks")
    key = models.CharField(
        max_length=64,
        validators=[
            RegexValidator(r"^[a-z_][a-z0-9_]*\Z", "lowercase letters, digits and _"),
            single_line,
        ],
        help_text="Stable name; later blocks read this block's output as context.<key>.",
    )
    kind = models.CharField(max_length=20)
    type = models.CharField(max_length=50)
    label = models.CharField(max_length=200, blank=True, validators=[single_line])
    config = models.JSONField(default=dict, blank=True)
    position_x = models.IntegerField(default=0)
    position_y = models.IntegerField(default=0)

    class Meta:
        ordering = ["version", "id"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="block_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} ({self.kind}/{self.type})"


class Edge(models.Model):
    version = models.ForeignKey(WorkflowVersion, on_delete=models.CASCADE, related_name="edges")
    source = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="out_edges")
    target = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="in_edges")
    outcome = models.CharField(max_length=64, default="next")

    class Meta:
        ordering = ["version", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "source", "outcome"], name="edge_outcome_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source.key} -[{self.outcome}]-> {self.target.key}"


class Run(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="runs")
    version = models.ForeignKey(WorkflowVersion, on_delete=models.PROTECT, related_name="runs")
    trigger_kind = models.CharField(max_length=20, choices=TriggerKind.choices)
    trigger_ref = models.CharField(max_length=255, blank=True)
    input = models.JSONField(default=dict, blank=True)
    context = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, choices=RunState.choices, default=RunState.RUNNING)
    dry_run = models.BooleanField(default=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    retriggered_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retriggers"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workflow", "-created_at"]), models.Index(fields=["state"])]

    def __str__(self) -> str:
        """ "Joiner #4 for jane.doe, 2026-12-03 10:15": what an operator looks for."""
        subject = run_subject(self.input)
        when = timezone.localtime(self.created_at) if self.created_at else None
        return "".join(
            (
                f"{self.workflow.name} #{self.pk}",
                f" for {subject}" if subject else "",
                f", {when:%Y-%m-%d %H:%M}" if when else "",
                " (dry run)" if self.dry_run else "",
            )
        )


class Execution(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="executions")
    number = models.PositiveIntegerField(default=1)
    state = models.CharField(
        max_length=20, choices=ExecutionState.choices, default=ExecutionState.QUEUED
    )
    start_block = models.CharField(max_length=64, blank=True, help_text="Empty: the trigger")
    resume_outcome = models.CharField(max_length=64, blank=True)
    resume_payload = models.JSONField(default=dict, blank=True)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    enqueue_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    lease = models.PositiveIntegerField(
        default=0, help_text="Bumped by every claim; a worker's writes must still match it."
    )
    checkpoint = models.JSONField(
        default=dict,
        blank=True,
        help_text="What a retry needs after a worker loss: the block in progress and the "
        "context the earlier blocks produced, durable before each external call.",
    )
    failed_block = models.CharField(max_length=64, blank=True)
    waiting_block = models.CharField(max_length=64, blank=True)
    failure_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-queued_at"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="execution_number_unique")
        ]
        indexes = [
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["state", "enqueued_at"]),
        ]
        permissions = [("operate_execution", "Can re-trigger and retry parked executions")]

    def __str__(self) -> str:
        return f"execution {self.pk} ({self.state})"


class Step(models.Model):
    execution = models.ForeignKey(Execution, on_delete=models.CASCADE, related_name="steps")
    seq = models.PositiveIntegerField()
    block_key = models.CharField(max_length=64)
    block_kind = models.CharField(max_length=20)
    block_type = models.CharField(max_length=50)
    state = models.CharField(max_length=20, choices=StepState.choices)
    outcome = models.CharField(max_length=64, blank=True)
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["execution", "seq"]
        constraints = [models.UniqueConstraint(fields=["execution", "seq"], name="step_seq_unique")]

    def __str__(self) -> str:
        return f"step {self.seq} {self.block_key} ({self.state})"


for _model in (Block, Edge):
    models.signals.pre_save.connect(_refuse_unless_draft, sender=_model)
    models.signals.pre_delete.connect(_refuse_unless_draft, sender=_model)


class ParkedExecution(Execution):
    """The review queue: executions parked as failed, for operators to fix and retry."""

    class Meta:
        proxy = True
        verbose_name = "parked execution"
        verbose_name_plural = "review queue"


class DeletedWorkflow(Workflow):
    """The recycle bin: deleted workflows, restorable; their runs and audit events stay."""

    class Meta:
        proxy = True
        verbose_name = "deleted workflow"
        verbose_name_plural = "recycle bin"


from workflows.models_triggers import *  # noqa: E402, F403 - trigger models live beside these
