"""The run page: the version it ran (linked) drawn with the path taken lit, each step's input,
output, outcome, duration and error a click away, the approvals with their decisions, and the
run's executions in order. A run with a parked execution reads "needs review" in the list and
has a filter of its own (its stored state stays `failed`: the engine's states do not change).

Extends runs.RunAdmin and re-registers it, as run_now does for workflows."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from approvals.selectors import decisions_for_runs
from workflows import documents
from workflows.access import WORKFLOWS
from workflows.admin import runs
from workflows.console.graph_svg import graph_svg
from workflows.console.highlights import run_marks
from workflows.models import Execution, Run
from workflows.status import ExecutionState

NEEDS_REVIEW = "needs review"


def _parked() -> Exists:
    return Exists(
        Execution.objects.filter(run=OuterRef("pk"), state=ExecutionState.PARKED).values("pk")
    )


class NeedsReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("needed", "Needs review"), ("none", "Nothing to review")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "needed":
            return queryset.filter(needs_review=True)
        if self.value() == "none":
            return queryset.filter(needs_review=False)
        return queryset


class RunPageAdmin(runs.RunAdmin):
    change_form_template = "workflows/admin/run_page.html"
    list_display = tuple(  # type: ignore[assignment]
        {"state": "status", "version": "version_link"}.get(name, name)
        for name in runs.RunAdmin.list_display
    )
    list_filter = (NeedsReviewFilter, *runs.RunAdmin.list_filter)  # type: ignore[assignment]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)
        queryset = queryset.filter(workflow__in=WORKFLOWS.visible(request.user))
        annotated: QuerySet[Any] = queryset.annotate(needs_review=_parked())
        return annotated

    @admin.display(description="State", ordering="state")
    def status(self, obj: Run) -> str:
        if getattr(obj, "needs_review", False):
            url = reverse("admin:workflows_parkedexecution_changelist")
            return format_html(
                '<a class="needs-review" href="{}?run__id__exact={}">{}</a>',
                url,
                obj.pk,
                NEEDS_REVIEW,
            )
        return obj.get_state_display()

    @admin.display(description="Version", ordering="version__number")
    def version_link(self, obj: Run) -> str:
        url = reverse("admin:workflows_workflowversion_change", args=[obj.version_id])
        return format_html('<a class="run-version" href="{}">v{}</a>', url, obj.version.number)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        run = self.get_object(request, unquote(object_id))
        extra: dict[str, Any] = {}
        if run is not None:
            executions = list(run.executions.order_by("number").prefetch_related("steps"))
            document = documents.version_document(run.version)
            extra = {
                "graph": graph_svg(
                    document, run_marks(run, document), title=f"path of run {run.pk}"
                ),
                "executions": executions,
                "approvals": decisions_for_runs([run.pk]).get(run.pk, []),
                "needs_review": getattr(run, "needs_review", False),
            }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


admin.site.unregister(Run)
admin.site.register(Run, RunPageAdmin)
