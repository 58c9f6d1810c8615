"""A workflow's history in the console: who published what and when with the change note, any
version drawn read-only, the diff of two versions (as a list and on the graph), roll back (a new
draft copied from an old version), publish with a change note, and delete = the recycle bin.

Extends the registered workflow and version admins and re-registers them, as run_now does."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from workflows import documents
from workflows.access import WORKFLOWS
from workflows.admin import definitions
from workflows.console.graph_svg import graph_svg
from workflows.console.highlights import diff_marks
from workflows.diff import diff_documents
from workflows.models import Workflow, WorkflowVersion
from workflows.services.recycle import NotInRecycleBin, workflow_delete
from workflows.services.versions import (
    DraftExists,
    draft_from_version,
)


class DiffForm(forms.Form):
    """Two versions of one workflow, by number."""

    old = forms.IntegerField(label="From version", min_value=1, max_value=2**31 - 1)
    new = forms.IntegerField(label="To version", min_value=1, max_value=2**31 - 1)

    def __init__(self, *args: Any, workflow: Workflow, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workflow = workflow
        self.versions: dict[str, WorkflowVersion] = {}

    def _version(self, name: str) -> int:
        number: int = self.cleaned_data[name]
        version = self.workflow.versions.filter(number=number).first()
        if version is None:
            raise ValidationError(f"{self.workflow.slug} has no version {number}.")
        self.versions[name] = version
        return number

    def clean_old(self) -> int:
        return self._version("old")

    def clean_new(self) -> int:
        return self._version("new")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("old") is not None and data.get("old") == data.get("new"):
            self.add_error("new", "Choose two different versions.")
        return data


class NotedVersionInline(definitions.VersionInline):
    fields = (  # type: ignore[assignment]
        "number",
        "state",
        "published_at",
        "published_by",
        "change_note",
        "checksum",
    )
    readonly_fields = fields  # type: ignore[assignment]


# Layered on whatever Workflow admin is registered (Run now, builder, New from template).
RegisteredWorkflowAdmin: type[admin.ModelAdmin] = type(admin.site._registry[Workflow])  # type: ignore[type-arg]


class HistoryWorkflowAdmin(RegisteredWorkflowAdmin):  # type: ignore[misc, valid-type]
    inlines = [NotedVersionInline]

    def get_urls(self) -> list[Any]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("<path:object_id>/versions/", wrap(self.versions_view), name=f"{info}_versions"),
            path("<path:object_id>/versions/diff/", wrap(self.diff_view), name=f"{info}_diff"),
            path(
                "<path:object_id>/versions/<int:number>/rollback/",
                wrap(self.rollback_view),
                name=f"{info}_rollback",
            ),
            *super().get_urls(),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workflow]:
        """The recycle bin's workflows are listed there, not here."""
        queryset: QuerySet[Workflow] = super().get_queryset(request)
        return queryset.filter(deleted_at__isnull=True)

    # --- deleting moves to the recycle bin --------------------------------------------------

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Soft: runs, versions and audit stay, so a workflow with history may be deleted too.
        return admin.ModelAdmin.has_delete_permission(self, request, obj)

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        names = [f"{o} — moves to the recycle bin; its runs and audit stay" for o in objs]
        return names, {}, set(), []

    def delete_model(self, request: HttpRequest, obj: Workflow) -> None:
        WORKFLOWS.require(request.user, "change", obj)
        workflow_delete(workflow=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Workflow]) -> None:
        for workflow in queryset:
            try:
                self.delete_model(request, workflow)
            except NotInRecycleBin as exc:
                self.message_user(request, str(exc), messages.WARNING)

    # --- history, diff, roll back ----------------------------------------------------------

    def _workflow(self, request: HttpRequest, object_id: str, action: str = "view") -> Workflow:
        workflow: Workflow | None = self.get_object(request, unquote(object_id))
        if workflow is None:
            raise Http404(f"no workflow {object_id!r}")
        WORKFLOWS.require(request.user, action, workflow)
        return workflow

    def _context(self, request: HttpRequest, workflow: Workflow, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": workflow,
            "title": title,
        }

    def versions_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        workflow = self._workflow(request, object_id)
        versions = list(
            workflow.versions.select_related("published_by", "created_by").order_by("-number")
        )
        context = {
            **self._context(request, workflow, f"History of {workflow.name}"),
            "versions": versions,
            "can_change": WORKFLOWS.can(request.user, "change", workflow),
            "has_draft": any(v.is_draft for v in versions),
            "form": DiffForm(workflow=workflow),
        }
        return TemplateResponse(request, "workflows/admin/history/versions.html", context)

    def diff_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        workflow = self._workflow(request, object_id)
        form = DiffForm(request.GET or None, workflow=workflow)
        context = self._context(request, workflow, f"Compare versions of {workflow.name}")
        context["form"] = form
        if form.is_valid():
            old_version, new_version = form.versions["old"], form.versions["new"]
            old = documents.version_document(old_version)
            new = documents.version_document(new_version)
            diff = diff_documents(old, new)
            union, marks = diff_marks(old, new, diff)
            title = f"v{old_version.number} to v{new_version.number}"
            context |= {
                "old": old_version,
                "new": new_version,
                "diff": diff,
                "graph": graph_svg(union, marks, title=title),
            }
        status = 200 if form.is_valid() or not form.is_bound else 400
        return TemplateResponse(
            request, "workflows/admin/history/diff.html", context, status=status
        )

    def rollback_view(self, request: HttpRequest, object_id: str, number: int) -> HttpResponse:
        workflow = self._workflow(request, object_id, "change")
        back = reverse("admin:workflows_workflow_versions", args=[workflow.pk])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        version = workflow.versions.filter(number=number).first()
        if version is None:
            self.message_user(request, f"{workflow.slug} has no version {number}.", messages.ERROR)
            return HttpResponseRedirect(back)
        try:
            draft = draft_from_version(version=version, actor=request.user)
        except DraftExists as exc:
            self.message_user(
                request,
                f"{exc}: publish or delete that draft before rolling back.",
                messages.ERROR,
            )
            return HttpResponseRedirect(back)
        self.message_user(
            request, f"Draft v{draft.number} created from v{version.number}: review and publish it."
        )
        return HttpResponseRedirect(
            reverse("admin:workflows_workflowversion_change", args=[draft.pk])
        )


class GraphVersionAdmin(definitions.WorkflowVersionAdmin):
    """Any version drawn read-only; a draft publishes from its page with a change note."""

    change_form_template = "workflows/admin/history/version_change_form.html"
    readonly_fields = (  # type: ignore[assignment]
        *definitions.WorkflowVersionAdmin.readonly_fields,
        "change_note",
        "graph",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[WorkflowVersion]:
        queryset = super().get_queryset(request)
        return queryset.filter(workflow__in=WORKFLOWS.visible(request.user))

    @admin.display(description="Graph")
    def graph(self, obj: WorkflowVersion) -> str:
        if obj.pk is None:
            return "—"
        return format_html(
            '<div class="graph-frame">{}</div>',
            graph_svg(documents.version_document(obj), title=f"{obj.workflow.slug} v{obj.number}"),
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        version = self.get_object(request, unquote(object_id))
        extra = {
            "can_publish": version is not None
            and version.is_draft
            and WORKFLOWS.can(request.user, "publish", version.workflow)
        }
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})


admin.site.unregister(Workflow)
admin.site.register(Workflow, HistoryWorkflowAdmin)
admin.site.unregister(WorkflowVersion)
admin.site.register(WorkflowVersion, GraphVersionAdmin)
