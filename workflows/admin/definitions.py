"""Workflows and their versions: drafts are editable, published versions are read-only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html

from idconfluence.access import Denied
from idconfluence.admin_access import RulesAdminMixin
from idconfluence.jobs.admin import act_or_start
from workflows import documents, jobs, policy
from workflows.access import WORKFLOWS, visible_through_workflow
from workflows.admin.block_form import BlockForm
from workflows.admin.common import ReadOnlyInline, report
from workflows.admin.drafts import BlockFormSet, DraftEditing
from workflows.admin.imports import ImportDocumentAdmin
from workflows.admin.schedule_form import ScheduleFormAdmin
from workflows.models import Block, Edge, FrozenVersionError, Workflow, WorkflowVersion
from workflows.services.versions import (
    DraftExists,
    draft_checksum_refresh,
    draft_from_version,
    version_retire,
    workflow_first_draft,
)


class VersionInline(ReadOnlyInline):
    model = WorkflowVersion
    fields = ("number", "state", "published_at", "published_by", "checksum")
    readonly_fields = fields


@admin.register(Workflow)
class WorkflowAdmin(  # type: ignore[misc]
    RulesAdminMixin,
    ImportDocumentAdmin,
    ScheduleFormAdmin,
    admin.ModelAdmin,  # type: ignore[type-arg]
):
    """Lists and pages through WORKFLOWS; the creator gets the workflow's object permissions,
    and shares it from its *Object permissions* page."""

    rules = WORKFLOWS
    list_display = (
        "slug",
        "name",
        "enabled",
        "four_eyes",
        "current_version",
        "owner",
        "updated_at",
    )
    list_filter = ("enabled", "four_eyes")
    search_fields = ("slug", "name", "description")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [VersionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Four-eyes is a control on the owners themselves: only someone who may publish every
        # workflow (a model permission) sets it, else an author could switch it off and publish.
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if WORKFLOWS.can(request.user, "publish") else (*fields, "four_eyes")

    def get_urls(self) -> list[Any]:
        return [*self.import_urls(), *self.schedule_urls(), *super().get_urls()]  # type: ignore[no-untyped-call]

    def save_model(self, request: HttpRequest, obj: Workflow, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not change:  # a new workflow is editable at once: its first draft, a trigger
            draft = workflow_first_draft(workflow=obj, actor=request.user)
            url = reverse("admin:workflows_workflowversion_change", args=[draft.pk])
            self.message_user(
                request,
                format_html(
                    'Draft <a href="{}">v{}</a> created with a manual trigger: add its blocks.',
                    url,
                    draft.number,
                ),
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Published history is evidence: a workflow that ever published is disabled, not deleted.
        if obj is not None and obj.versions.exclude(state="draft").exists():
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description="Published")
    def current_version(self, obj: Workflow) -> str:
        version = obj.published_version
        return f"v{version.number}" if version else "—"


class DraftOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0

    def _editable(self, obj: WorkflowVersion | None) -> bool:
        return obj is None or obj.is_draft

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._editable(obj) and super().has_delete_permission(request, obj)


class BlockInline(DraftOnlyInline):
    model = Block
    formset = BlockFormSet
    form = BlockForm
    fields = ("key", "kind", "type", "label", "config", "position_x", "position_y")


class EdgeInline(DraftOnlyInline):
    model = Edge
    fields = ("source", "outcome", "target")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        version_id = (
            request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        )
        if db_field.name in {"source", "target"} and version_id:
            kwargs["queryset"] = Block.objects.filter(version_id=version_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(WorkflowVersion)
class WorkflowVersionAdmin(DraftEditing, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("workflow", "number", "state", "published_at", "published_by", "checksum")
    list_filter = ("state", "workflow", "published_at")
    list_select_related = ("workflow", "published_by")
    readonly_fields = (
        "workflow",
        "number",
        "state",
        "checksum",
        "created_by",
        "created_at",
        "changed_by",
        "changed_at",
        "published_by",
        "published_at",
    )
    inlines = [BlockInline, EdgeInline]
    change_form_template = "workflows/admin/version_change_form.html"
    actions = ["publish", "new_draft", "retire", "export_document"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # versions come from drafts: import, or "new draft from this version"

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not obj.is_draft:
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(permissions=["publish"], description="Publish (validates first)")
    def publish(
        self, request: HttpRequest, queryset: QuerySet[WorkflowVersion]
    ) -> HttpResponse | None:
        versions = list(queryset.select_related("workflow"))
        return act_or_start(self, request, jobs.PUBLISH, versions, jobs.label)

    @admin.action(permissions=["change"], description="New draft from this version")
    def new_draft(self, request: HttpRequest, queryset: QuerySet[WorkflowVersion]) -> None:
        ok: list[str] = []
        failed: list[str] = []
        for version in queryset.select_related("workflow"):
            try:
                draft = draft_from_version(version=version, actor=request.user)
                ok.append(f"{version.workflow.slug}: draft v{draft.number} created.")
            except (DraftExists, Denied) as exc:
                failed.append(f"{version.workflow.slug}: {exc}")
        report(self, request, ok, failed)

    @admin.action(permissions=["publish"], description="Retire")
    def retire(self, request: HttpRequest, queryset: QuerySet[WorkflowVersion]) -> None:
        ok: list[str] = []
        failed: list[str] = []
        for version in queryset.select_related("workflow"):
            try:
                version_retire(version=version, actor=request.user)
                ok.append(f"{version.workflow.slug} v{version.number} retired.")
            except (FrozenVersionError, Denied) as exc:
                failed.append(f"{version.workflow.slug}: {exc}")
        report(self, request, ok, failed)

    @admin.action(permissions=["view"], description="Export as workflow document (JSON)")
    def export_document(
        self, request: HttpRequest, queryset: QuerySet[WorkflowVersion]
    ) -> HttpResponse:
        version = queryset.select_related("workflow").get(pk=queryset.order_by("pk")[0].pk)
        response = HttpResponse(
            documents.dumps(documents.version_document(version)), content_type="application/json"
        )
        filename = f"{version.workflow.slug}-v{version.number}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ChecksumFollowsEdits:
    """A block or edge edited on its own page: its draft's checksum follows the content."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        draft_checksum_refresh(version=obj.version, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        version = obj.version
        super().delete_model(request, obj)  # type: ignore[misc]
        draft_checksum_refresh(version=version, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        versions = list(WorkflowVersion.objects.filter(pk__in=queryset.values("version_id")))
        super().delete_queryset(request, queryset)  # type: ignore[misc]
        for version in versions:
            draft_checksum_refresh(version=version, actor=request.user)


@admin.register(Block)
class BlockAdmin(ChecksumFollowsEdits, admin.ModelAdmin):  # type: ignore[type-arg]
    """A block or edge row on its own page: its workflow's rules, connector `use`, four-eyes."""

    form = BlockForm
    list_display = ("key", "version", "kind", "type", "label")
    list_filter = ("kind",)
    list_select_related = ("version", "version__workflow")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        return visible_through_workflow(request.user, queryset, "version__workflow")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "version":
            drafts = WorkflowVersion.objects.filter(state="draft")
            kwargs["queryset"] = WORKFLOWS.visible(request.user, "change").values("pk")
            kwargs["queryset"] = drafts.filter(workflow__in=kwargs["queryset"])
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_staff) and WORKFLOWS.can_any(request.user, "view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return WORKFLOWS.can_any(request.user, "view")
        return WORKFLOWS.can(request.user, "view", obj.version.workflow)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return WORKFLOWS.can_any(request.user, "change")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return WORKFLOWS.can_any(request.user, "change")
        return obj.version.is_draft and WORKFLOWS.can(request.user, "change", obj.version.workflow)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        editor = request.user

        class CheckedForm(form):  # type: ignore[valid-type, misc]
            def clean(self) -> dict[str, Any]:
                data: dict[str, Any] = super().clean()
                if self._meta.model is Block:
                    block = {k: data.get(k) for k in ("key", "kind", "type", "config")}
                    for error in policy.unusable_connectors(editor, {"blocks": [block]}):
                        self.add_error("config", error)
                return data

        return CheckedForm


@admin.register(Edge)
class EdgeAdmin(BlockAdmin):
    form = forms.ModelForm  # type: ignore[assignment]  # edges have no config to check
    list_display = ("version", "source", "outcome", "target")  # type: ignore[assignment]
    list_filter = ("outcome",)
