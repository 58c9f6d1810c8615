"""The recycle bin: deleted workflows, read-only, with Restore (needs change on the workflow).
Their runs and audit events never left; restoring brings the workflow and its triggers back."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from workflows.access import WORKFLOWS
from workflows.admin.common import ReadOnlyAdmin
from workflows.models import DeletedWorkflow
from workflows.services.recycle import NotInRecycleBin, workflow_restore


@admin.register(DeletedWorkflow)
class RecycleBinAdmin(ReadOnlyAdmin):
    list_display = ("slug", "name", "deleted_at", "run_count", "owner")
    search_fields = ("slug", "name")
    ordering = ("-deleted_at",)
    fields = ("slug", "name", "description", "owner", "deleted_at", "created_at")
    readonly_fields = fields
    actions = ["restore"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        visible = WORKFLOWS.visible(request.user).values("pk")
        queryset: QuerySet[Any] = super().get_queryset(request)
        queryset = queryset.filter(deleted_at__isnull=False, pk__in=visible)
        annotated: QuerySet[Any] = queryset.annotate(runs_kept=Count("runs"))
        return annotated

    def has_module_permission(self, request: HttpRequest) -> bool:
        return WORKFLOWS.can(request.user, "view")

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return WORKFLOWS.can(request.user, "view", obj)

    def has_restore_permission(self, request: HttpRequest) -> bool:
        return (
            WORKFLOWS.can(request.user, "change")
            or WORKFLOWS.visible(request.user, "change").exists()
        )

    @admin.display(description="Runs kept", ordering="runs_kept")
    def run_count(self, obj: Any) -> int:
        return int(getattr(obj, "runs_kept", 0))

    @admin.action(permissions=["restore"], description="Restore from the recycle bin")
    def restore(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for workflow in queryset:
            if not WORKFLOWS.can(request.user, "change", workflow):
                self.message_user(request, f"You may not restore {workflow.slug}.", messages.ERROR)
                continue
            try:
                workflow_restore(workflow=workflow, actor=request.user)
            except NotInRecycleBin as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                self.message_user(request, f"{workflow.slug} restored.")
