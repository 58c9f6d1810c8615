"""The review queue as an operator works it: parked executions grouped by failure signature
(newest first, with counts), each execution's page opening on the failing step with its action
buttons, and retry / re-trigger / resolve of one, a selection or a whole group, always after a
page that shows how many will be acted on. More than one runs as a background job with a
progress page (idconfluence.jobs); each item is re-checked under its lock when it runs.

Extends runs.ReviewQueueAdmin and re-registers it, as run_now does for workflows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from idconfluence.jobs.admin import act_or_start
from workflows import jobs
from workflows.access import WORKFLOWS
from workflows.admin import runs
from workflows.admin.common import ReadOnlyInline
from workflows.admin.run_progress import StepResult
from workflows.console.review_groups import (
    Group,
    failing_step,
    failure_groups,
    group_members,
    signatures,
    with_failing_steps,
)
from workflows.models import Execution, ParkedExecution, Step
from workflows.services.runs import not_parked_reason
from workflows.status import ExecutionState, StepState

#: A selection posted by hand is refused past this many ids (a whole group goes by its key).
MAX_IDS = 5000
REASONS_SHOWN = 20  # a stale page's refusals, one message each, up to this many


@dataclass(frozen=True)
class Verb:
    name: str
    job: str
    title: str  # "Retry 3 parked executions from their failed step"
    per_run: bool  # acts on the run (re-trigger) rather than on the execution


VERBS = {
    v.name: v
    for v in (
        Verb("retry", jobs.RETRY, "Retry from the failed step", per_run=False),
        Verb("retrigger", jobs.RETRIGGER, "Re-trigger (a new run, same input)", per_run=True),
        Verb("resolve", jobs.RESOLVE, "Resolve (mark as handled, no retry)", per_run=False),
    )
}


def _groups(request: HttpRequest, model_admin: Any) -> list[Group]:
    """The queue's groups, computed once per request (the filter and the list both show them)."""
    cached: list[Group] | None = getattr(request, "_failure_groups", None)
    if cached is None:
        cached = failure_groups(model_admin.get_queryset(request))
        request._failure_groups = cached  # type: ignore[attr-defined]
    return cached


class SignatureFilter(admin.SimpleListFilter):
    title = "failure signature"
    parameter_name = "signature"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        groups = _groups(request, model_admin)
        return [
            (g.key, f"{g.signature.workflow} · {g.signature.block} ({g.count})") for g in groups
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if not self.value():
            return queryset
        group = group_members(queryset, str(self.value()))
        return queryset.filter(pk__in=group.execution_ids if group else [])


class FailingFirstStepInline(StepResult, ReadOnlyInline):
    """The steps newest first: the failing one is the first row, not the last."""

    model = Step
    fields = runs.STEP_FIELDS
    readonly_fields = runs.STEP_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[Step]:
        return super().get_queryset(request).order_by("-seq")


class ReviewQueueAdmin(runs.ReviewQueueAdmin):
    change_list_template = "workflows/admin/review_queue/change_list.html"
    change_form_template = "workflows/admin/review_queue/change_form.html"
    list_filter = (SignatureFilter, "run__workflow", "finished_at")  # type: ignore[assignment]
    inlines = [FailingFirstStepInline]
    fieldsets = (
        ("Why it failed", {"fields": ("failed_block", "failure_reason")}),
        (
            "Execution",
            {"fields": ("run", "number", "state", "start_block", "retry_of", "worker")},
        ),
        ("Timing", {"fields": ("queued_at", "started_at", "deadline", "finished_at")}),
        (
            "Resume and recovery details",
            {
                "classes": ("collapse",),
                "fields": ("resume_outcome", "enqueued_at", "enqueue_count", "lease", "checkpoint"),
            },
        ),
    )
    actions = ["retry_selected", "retrigger_selected", "resolve_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Only executions of workflows the person may view (the one choke point)."""
        queryset: QuerySet[Any] = super().get_queryset(request)
        return queryset.filter(run__workflow__in=WORKFLOWS.visible(request.user))

    def get_urls(self) -> list[Any]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view(self.confirm_view)
        return [
            path("act/<str:verb>/", view, name=f"{info}_act"),
            *super().get_urls(),
        ]

    # --- the list: groups above the rows ---------------------------------------------------

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra: dict[str, Any] = {}
        if request.method == "GET":
            extra["failure_groups"] = _groups(request, self)
            extra["can_operate"] = self.has_operate_permission(request)
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    # --- one execution: the failing step first, with buttons ------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra: dict[str, Any] = {}
        found = with_failing_steps(self.get_queryset(request)).filter(pk=_int(unquote(object_id)))
        execution = found.first()
        if execution is not None:
            step = failing_step(execution)
            extra = {
                "failing": step,
                "signature": signatures([execution])[execution.pk],
                "may_have_been_applied": step is not None and step.state == StepState.UNKNOWN,
                "can_operate": self.has_operate_permission(request)
                and execution.state == ExecutionState.PARKED,
                "verbs": VERBS.values(),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    # --- acting: a selection, a group or one, after a confirmation with the count ----------

    @admin.action(permissions=["operate"], description="Retry from the failed step…")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
        return self._confirm(request, VERBS["retry"], list(queryset.values_list("pk", flat=True)))

    @admin.action(permissions=["operate"], description="Re-trigger (new run, same input)…")
    def retrigger_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
        ids = list(queryset.values_list("pk", flat=True))
        return self._confirm(request, VERBS["retrigger"], ids)

    @admin.action(permissions=["operate"], description="Resolve (mark as handled)…")
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse:
        return self._confirm(request, VERBS["resolve"], list(queryset.values_list("pk", flat=True)))

    def confirm_view(self, request: HttpRequest, verb: str) -> HttpResponse:
        """GET ?group=<key> or ?ids=1,2: what would be done, with the count. POST: do it."""
        if not self.has_operate_permission(request):
            raise PermissionDenied
        action = VERBS.get(verb)
        if action is None:
            raise Http404(f"no review-queue action {verb!r}")
        source = request.POST if request.method == "POST" else request.GET
        parked = self.get_queryset(request).filter(state=ExecutionState.PARKED)
        group_key = source.get("group", "")
        if group_key:
            group = group_members(parked, group_key)
            ids = group.execution_ids if group else []
        else:
            ids, error = _ids(",".join(source.getlist("ids")).split(","))
            if error:
                self.message_user(request, error, messages.ERROR)
                return HttpResponseRedirect(reverse("admin:workflows_parkedexecution_changelist"))
        if request.method == "POST" and source.get("confirm") == "yes":
            return self._start(request, action, parked, ids)
        return self._confirm(request, action, ids, group_key=group_key)

    def _confirm(
        self, request: HttpRequest, action: Verb, ids: Sequence[int], group_key: str = ""
    ) -> HttpResponse:
        parked = self.get_queryset(request).filter(state=ExecutionState.PARKED, pk__in=ids)
        rows = list(parked.select_related("run", "run__workflow").order_by("-finished_at", "-pk"))
        skipped = len(set(ids)) - len(rows)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{action.title}: {len(rows)} parked execution{'s' if len(rows) != 1 else ''}",
            "action": action,
            "rows": rows,
            "count": len(rows),
            "runs": len({r.run_id for r in rows}),
            "skipped": skipped,
            "group_key": group_key,
            "ids": ",".join(str(r.pk) for r in rows),
        }
        return TemplateResponse(request, "workflows/admin/review_queue/confirm.html", context)

    def _start(
        self, request: HttpRequest, action: Verb, parked: QuerySet[Any], ids: Sequence[int]
    ) -> HttpResponse:
        rows = list(parked.filter(pk__in=ids).select_related("run", "run__workflow"))
        if not rows:
            self.message_user(
                request,
                "Nothing was done: none of the selected executions is still parked in the queue.",
                messages.WARNING,
            )
            self._say_why_left_out(request, ids, rows)
            return HttpResponseRedirect(reverse("admin:workflows_parkedexecution_changelist"))
        if len(rows) < len(set(ids)):
            self.message_user(
                request,
                f"{len(set(ids)) - len(rows)} of the {len(set(ids))} selected left the queue "
                "since (or are not yours to see) and were left out.",
                messages.WARNING,
            )
            self._say_why_left_out(request, ids, rows)
        targets: list[Any] = (
            list({r.run_id: r.run for r in rows}.values()) if action.per_run else rows
        )
        answer = act_or_start(self, request, action.job, targets, jobs.label)
        if answer is not None:
            return answer
        if len(rows) == 1:
            return HttpResponseRedirect(
                reverse("admin:workflows_run_change", args=[rows[0].run_id])
            )
        return HttpResponseRedirect(reverse("admin:workflows_parkedexecution_changelist"))

    def _say_why_left_out(
        self, request: HttpRequest, ids: Sequence[int], rows: Sequence[Any]
    ) -> None:
        """Why each visible one left the queue (retried by someone else, closed ...)."""
        acted = {r.pk for r in rows}
        visible = WORKFLOWS.visible(request.user)
        gone = Execution.objects.filter(pk__in=set(ids) - acted, run__workflow__in=visible)
        gone = gone.select_related("run")
        for execution in gone.order_by("pk")[:REASONS_SHOWN]:
            self.message_user(request, not_parked_reason(execution), messages.ERROR)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise Http404(f"no parked execution {text!r}") from None


def _ids(values: Sequence[str]) -> tuple[list[int], str]:
    """Execution ids from a form: whole numbers only, a bounded number of them."""
    cleaned = [v.strip() for v in values if v.strip()]
    if not cleaned:
        return [], "Select at least one parked execution."
    if len(cleaned) > MAX_IDS:
        return [], f"At most {MAX_IDS} executions at once; act on a group instead."
    bad = [v for v in cleaned if not v.isdigit() or len(v) > 18]
    if bad:
        return [], f"Not an execution id: {bad[0][:40]!r}."
    return [int(v) for v in cleaned], ""


admin.site.unregister(ParkedExecution)
admin.site.register(ParkedExecution, ReviewQueueAdmin)
