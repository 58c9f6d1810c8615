"""Workflows and their versions: drafts are editable, published versions are read-only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from idconfluence.access import Denied
from idconfluence.admin_access import RulesAdminMixin
from idconfluence.forms import IntakeJSONField
from idconfluence.jobs.admin import act_or_start
from workflows import documents, jobs, policy
from workflows.access import WORKFLOWS, visible_through_workflow
from workflows.admin.common import ReadOnlyInline, report
from workflows.admin.drafts import BlockFormSet, DraftEditing
from workflows.models import Block, Edge, FrozenVersionError, Workflow, WorkflowVersion
from workflows.services.versions import (
    DraftExists,
    draft_from_version,
    draft_touch,
    version_retire,
)


class VersionInline(ReadOnlyInline):
    model = WorkflowVersion
    fields = ("number", "state", "published_at", "published_by", "checksum")
    readonly_fields = fields


@admin.register(Workflow)
class WorkflowAdmin(RulesAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg, misc]
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


JSON_INTAKE: Mapping[type[models.Field[Any, Any]], Mapping[str, Any]] = {
    models.JSONField: {"form_class": IntakeJSONField}
}


class BlockInline(DraftOnlyInline):
    model = Block
    formset = BlockFormSet
    formfield_overrides = JSON_INTAKE
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


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A block or edge row on its own page: its workflow's rules, connector `use`, four-eyes."""

    formfield_overrides = JSON_INTAKE
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

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        draft_touch(version=obj.version, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        version = obj.version
        super().delete_model(request, obj)
        draft_touch(version=version, actor=request.user)


@admin.register(Edge)
class EdgeAdmin(BlockAdmin):
    list_display = ("version", "source", "outcome", "target")  # type: ignore[assignment]
    list_filter = ("outcome",)
