"""Reads of approval tasks: the audit export's decisions, the console's lists."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from approvals.models import ApprovalTask
from approvals.status import TaskState


def decisions_for_runs(run_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Each run's human-input tasks and what became of them, oldest first."""
    found: dict[int, list[dict[str, Any]]] = {}
    for task in ApprovalTask.objects.filter(run_id__in=run_ids).order_by("pk"):
        found.setdefault(task.run_id, []).append(
            {
                "task": task.pk,
                "block": task.block_key,
                "title": task.title,
                "approver": task.decided_by_email or task.assignee,
                "on_behalf_of": task.decided_on_behalf_of,
                "state": task.state,
                "decision": task.decision,
                "comment": task.comment,
                "level": task.escalation_level,
                "due_at": task.due_at.isoformat(),
                "decided_at": task.decided_at.isoformat() if task.decided_at else None,
            }
        )
    return found


def tasks_open_overdue_first() -> QuerySet[ApprovalTask]:
    return ApprovalTask.objects.filter(state=TaskState.OPEN).order_by("due_at")


def tasks_for(user: Any) -> QuerySet[ApprovalTask]:
    """ "My tasks": open tasks assigned to the user, by user or address or group."""
    mine = ApprovalTask.objects.filter(state=TaskState.OPEN)
    return (
        (
            mine.filter(assignee_user=user)
            | mine.filter(assignee_email__iexact=user.email or "-")
            | mine.filter(assignee_group__in=user.groups.all())
        )
        .distinct()
        .order_by("due_at")
    )
