"""Who may see, operate (re-assign, cancel, resend) and decide an approval task. An assignee (or
their group) may decide their own task; anyone else needs `decide` on it, globally or per task."""

from __future__ import annotations

from typing import Any

from approvals.models import ApprovalTask
from approvals.selectors import tasks_for
from idconfluence.access import Rules


class TaskRules(Rules[ApprovalTask]):
    def can(self, user: Any, action: str, obj: ApprovalTask | None = None) -> bool:
        if super().can(user, action, obj):
            return True
        if action == "decide" and obj is not None and user and user.is_active:
            return tasks_for(user).filter(pk=obj.pk).exists()
        return False


TASKS: TaskRules = TaskRules(
    ApprovalTask,
    {
        "view": "approvals.view_approvaltask",
        "operate": "approvals.change_approvaltask",
        "decide": "approvals.decide_approvaltask",
    },
)
