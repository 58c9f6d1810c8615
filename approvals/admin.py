"""The approvals console: operators see every open task, overdue first, and re-assign, cancel or
resend its link (each a service, audited); any other staff user sees "My tasks". Out-of-office
delegations are set here too, through the service that moves tasks already open."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from approvals.access import TASKS
from approvals.models import ApprovalTask, Delegation
from approvals.selectors import tasks_for
from approvals.services.console import (
    ConsoleRefused,
    delegation_set,
    task_cancel,
    task_reassign,
    task_resend,
)
from approvals.services.deciding import DecisionRefused, task_decide_in_console
from idconfluence.access import read_only
from idconfluence.admin_base import ReadOnlyAdmin


class TaskActionForm(ActionForm):
    assignee = forms.CharField(
        required=False, help_text="for re-assign: an address, user:<name> or group:<name>"
    )
    comment = forms.CharField(required=False, help_text="for approve / reject")


def _each(
    modeladmin: ApprovalTaskAdmin,
    request: HttpRequest,
    queryset: QuerySet[ApprovalTask],
    act: Any,
    done: str,
) -> None:
    for task in queryset.order_by("pk"):
        try:
            act(task)
            modeladmin.message_user(request, f"task {task.pk}: {done}", messages.SUCCESS)
        except ConsoleRefused as exc:
            modeladmin.message_user(request, f"task {task.pk}: {exc}", messages.ERROR)


@admin.action(permissions=["operate"], description="Re-assign to (enter below)")
def reassign(modeladmin: ApprovalTaskAdmin, request: HttpRequest, queryset: Any) -> None:
    to = str(request.POST.get("assignee", "")).strip()
    if not to:
        modeladmin.message_user(request, "enter who to re-assign to", messages.ERROR)
        return
    _each(
        modeladmin,
        request,
        queryset,
        lambda t: task_reassign(task=t, to=to, actor=request.user),
        f"re-assigned to {to}",
    )


@admin.action(permissions=["operate"], description="Cancel the task and its run")
def cancel(modeladmin: ApprovalTaskAdmin, request: HttpRequest, queryset: Any) -> None:
    _each(
        modeladmin,
        request,
        queryset,
        lambda t: task_cancel(task=t, actor=request.user),
        "cancelled",
    )


@admin.action(permissions=["operate"], description="Resend the link")
def resend(modeladmin: ApprovalTaskAdmin, request: HttpRequest, queryset: Any) -> None:
    _each(
        modeladmin, request, queryset, lambda t: task_resend(task=t, actor=request.user), "resent"
    )


def _decide(
    modeladmin: ApprovalTaskAdmin, request: HttpRequest, queryset: Any, outcome: str
) -> None:
    comment = str(request.POST.get("comment", ""))
    for task in queryset.order_by("pk"):
        try:
            task_decide_in_console(
                task=task, user=request.user, outcome=outcome, comment=comment, request=request
            )
            modeladmin.message_user(request, f"task {task.pk}: {outcome}", messages.SUCCESS)
        except (DecisionRefused, PermissionDenied) as exc:
            modeladmin.message_user(request, f"task {task.pk}: {exc}", messages.ERROR)


@admin.action(permissions=["decide"], description="Approve (comment below)")
def approve(modeladmin: ApprovalTaskAdmin, request: HttpRequest, queryset: Any) -> None:
    _decide(modeladmin, request, queryset, "approved")


@admin.action(permissions=["decide"], description="Reject (comment below)")
def reject(modeladmin: ApprovalTaskAdmin, request: HttpRequest, queryset: Any) -> None:
    _decide(modeladmin, request, queryset, "rejected")


@admin.register(ApprovalTask)
class ApprovalTaskAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "state",
        "assignee",
        "on_behalf_of",
        "due_text",
        "overdue",
        "escalation_level",
        "email_state",
        "email_error",
    )
    list_filter = ("state", "email_state")
    ordering = ("due_at",)  # overdue (earliest deadline) first
    search_fields = ("title", "assignee", "subject")
    action_form = TaskActionForm
    actions = [approve, reject, reassign, cancel, resend]
    readonly_fields = [f.name for f in ApprovalTask._meta.fields]

    @admin.display(boolean=True, description="overdue")
    def overdue(self, task: ApprovalTask) -> bool:
        return task.state == "open" and task.due_at <= timezone.now()

    def has_operate_permission(self, request: HttpRequest) -> bool:
        return TASKS.can(request.user, "operate")

    def has_decide_permission(self, request: HttpRequest) -> bool:
        """Offered to whoever may decide something listed; each task is checked on its own."""
        user = request.user
        return not read_only(user) and (
            TASKS.can(user, "decide") or tasks_for(user).exists() or TASKS.can_any(user, "decide")
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApprovalTask]:
        if TASKS.can(request.user, "operate") or TASKS.can(request.user, "view"):
            return super().get_queryset(request).filter(state="open")
        return tasks_for(request.user)  # "My tasks"


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "delegate", "starts_on", "ends_on")
    fields = ("user", "delegate", "starts_on", "ends_on")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request) and not read_only(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # set a new one instead: the moves it made are history

    def get_queryset(self, request: HttpRequest) -> QuerySet[Delegation]:
        rows = super().get_queryset(request)
        if request.user.has_perm("approvals.add_delegation"):
            return rows
        return rows.filter(user=request.user)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        if not request.user.has_perm("approvals.add_delegation"):  # one's own out-of-office
            form.base_fields["user"].initial = request.user.pk
            form.base_fields["user"].disabled = True
        return form

    def save_model(self, request: HttpRequest, obj: Delegation, form: Any, change: bool) -> None:
        user = obj.user if request.user.has_perm("approvals.add_delegation") else request.user
        try:
            saved = delegation_set(
                user=user,
                delegate=obj.delegate,
                starts_on=obj.starts_on,
                ends_on=obj.ends_on,
                actor=request.user,
            )
        except ConsoleRefused as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        obj.pk = saved.pk
