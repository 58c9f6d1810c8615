"""Runs, executions, steps, and the review queue of parked executions with its operator actions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.html import format_html

from idconfluence.jobs.admin import act_or_start
from workflows import jobs
from workflows.access import WORKFLOWS, can_operate_any, may_view_all, visible_through_workflow
from workflows.admin.common import ReadOnlyAdmin, ReadOnlyInline
from workflows.admin.run_progress import RunProgress, StepResult
from workflows.admin.run_search import SEARCH_HELP, RunSearch
from workflows.models import Execution, ParkedExecution, Run, Step
from workflows.status import ExecutionState, StepState

Answer = HttpResponse | None
STEP_FIELDS = (
    "seq",
    "block_key",
    "block_type",
    "state",
    "result",
    "error",
    "duration_ms",
    "started_at",
)


class StepInline(StepResult, ReadOnlyInline):
    model = Step
    fields = STEP_FIELDS
    readonly_fields = STEP_FIELDS
    show_change_link = True


class ExecutionInline(ReadOnlyInline):
    model = Execution
    fields = (
        "number",
        "state",
        "start_block",
        "failed_block",
        "failure_reason",
        "queued_at",
        "finished_at",
    )
    readonly_fields = fields


class OperatorActions:
    """Re-trigger and retry, permission-checked (workflows.operate_execution) and audited; one
    selected row is handled at once, more in a background job with a progress page."""

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return can_operate_any(request.user)

    @admin.action(permissions=["operate"], description="Retry from the failed step")
    def retry_from_failed_step(self, request: HttpRequest, queryset: QuerySet[Any]) -> Answer:
        return self._act(request, jobs.RETRY, _executions(queryset))

    @admin.action(permissions=["operate"], description="Re-trigger (new run, same input)")
    def retrigger(self, request: HttpRequest, queryset: QuerySet[Any]) -> Answer:
        return self._act(request, jobs.RETRIGGER, _runs(queryset))

    @admin.action(permissions=["operate"], description="Mark as handled (no retry)")
    def mark_handled(self, request: HttpRequest, queryset: QuerySet[Any]) -> Answer:
        return self._act(request, jobs.RESOLVE, _executions(queryset))

    @admin.action(permissions=["operate"], description="Cancel the run")
    def cancel_run(self, request: HttpRequest, queryset: QuerySet[Any]) -> Answer:
        return self._act(request, jobs.CANCEL, _runs(queryset))

    def _act(self, request: HttpRequest, kind: str, rows: Sequence[Any]) -> Answer:
        return act_or_start(self, request, kind, rows, jobs.label)  # type: ignore[arg-type]


class ThroughWorkflow:
    """History rows are seen by whoever may view their workflow (reached by `workflow_path`);
    another workflow's rows are absent from lists and 404 on their pages."""

    workflow_path = "workflow"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        return visible_through_workflow(request.user, queryset, self.workflow_path)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff) and self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # an object outside get_queryset is a 404 on its page (change_view below)
        user = request.user
        return may_view_all(user, self.model) or WORKFLOWS.can_any(user, "view")  # type: ignore[attr-defined]

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if (
            not str(object_id).isdigit()
            or not self.get_queryset(request).filter(pk=object_id).exists()
        ):
            raise Http404(f"No {self.model._meta.verbose_name} with id {object_id!r}.")  # type: ignore[attr-defined]
        return super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc, no-any-return]


def _runs(queryset: QuerySet[Any]) -> list[Run]:
    if queryset.model is Run:
        return list(queryset.select_related("workflow"))
    return list({e.run_id: e.run for e in queryset.select_related("run", "run__workflow")}.values())


def _executions(queryset: QuerySet[Any]) -> list[Execution]:
    if queryset.model is Run:
        return [e for run in queryset for e in run.executions.filter(state=ExecutionState.PARKED)]
    return list(queryset.select_related("run", "run__workflow"))


@admin.register(Run)
class RunAdmin(ThroughWorkflow, RunProgress, RunSearch, OperatorActions, ReadOnlyAdmin):
    list_display = (
        "name",
        "workflow",
        "version",
        "state",
        "trigger_kind",
        "dry_run",
        "created_at",
        "finished_at",
    )
    list_filter = ("state", "trigger_kind", "dry_run", "workflow", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("workflow__slug", "trigger_ref")
    search_help_text = SEARCH_HELP
    list_select_related = ("workflow", "version")
    readonly_fields = (
        "workflow",
        "version",
        "state",
        "trigger_kind",
        "trigger_ref",
        "input",
        "context",
        "dry_run",
        "what_it_did",
        "started_by",
        "retriggered_from",
        "created_at",
        "finished_at",
    )
    inlines = [ExecutionInline]
    actions = ["retrigger", "cancel_run"]
    show_full_result_count = False

    @admin.display(description="Run", ordering="-created_at")
    def name(self, obj: Run) -> str:
        return str(obj)


@admin.register(Execution)
class ExecutionAdmin(ThroughWorkflow, RunProgress, OperatorActions, ReadOnlyAdmin):
    workflow_path = "run__workflow"

    list_display = (
        "id",
        "run",
        "number",
        "state",
        "failed_block",
        "queued_at",
        "started_at",
        "finished_at",
        "worker",
    )
    list_filter = ("state", "queued_at", "finished_at")
    date_hierarchy = "queued_at"
    list_select_related = ("run", "run__workflow")
    readonly_fields = (
        "run",
        "number",
        "state",
        "start_block",
        "resume_outcome",
        "retry_of",
        "queued_at",
        "enqueued_at",
        "enqueue_count",
        "started_at",
        "deadline",
        "finished_at",
        "worker",
        "lease",
        "failed_block",
        "waiting_block",
        "failure_reason",
        "what_it_did",
        "checkpoint",
    )
    inlines = [StepInline]
    actions = ["retry_from_failed_step", "retrigger", "mark_handled", "cancel_run"]
    show_full_result_count = False


@admin.register(ParkedExecution)
class ReviewQueueAdmin(ExecutionAdmin):
    """Parked executions, the failing step and the reason first."""

    list_display = (  # type: ignore[assignment]
        "failed_step",
        "reason",
        "may_have_been_applied",
        "workflow",
        "run",
        "number",
        "finished_at",
        "worker",
    )
    list_display_links = ("failed_step",)
    list_filter = ("run__workflow", "finished_at")  # type: ignore[assignment]
    date_hierarchy = "finished_at"
    search_fields = ("failure_reason", "failed_block", "run__workflow__slug")
    ordering = ("-finished_at",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        unknown = Step.objects.filter(execution=OuterRef("pk"), state=StepState.UNKNOWN)
        queryset: QuerySet[Any] = super().get_queryset(request)
        queryset = queryset.annotate(unknown_step=Subquery(unknown.values("block_key")[:1]))
        if request.method == "POST" and request.POST.get("action"):
            # An action posted from a stale page names executions that left the queue since;
            # the services re-check each one under its lock and the refusal says why.
            return queryset
        return queryset.filter(state=ExecutionState.PARKED)

    @admin.display(description="Failing step", ordering="failed_block")
    def failed_step(self, obj: Execution) -> str:
        return obj.failed_block or "(before the first step)"

    @admin.display(description="Why")
    def reason(self, obj: Execution) -> str:
        return format_html(
            "<span title='{}'>{}</span>", obj.failure_reason, obj.failure_reason[:160]
        )

    @admin.display(description="May have been applied")
    def may_have_been_applied(self, obj: Execution) -> str:
        """A call whose outcome is unknown: a retry reads the target back before applying."""
        block = getattr(obj, "unknown_step", None)
        return f"yes: {block} (retry reconciles first)" if block else "no"

    @admin.display(description="Workflow")
    def workflow(self, obj: Execution) -> str:
        return obj.run.workflow.slug


@admin.register(Step)
class StepAdmin(ThroughWorkflow, StepResult, ReadOnlyAdmin):
    workflow_path = "execution__run__workflow"

    list_display = ("execution", *STEP_FIELDS)
    list_filter = ("state", "block_kind", "started_at")
    readonly_fields = (
        *STEP_FIELDS,
        "edge_taken",
        "execution",
        "block_kind",
        "input",
        "output",
        "finished_at",
    )
    list_select_related = ("execution",)
    show_full_result_count = False
