"""Who may decide an approval task (besides the assignee and their delegate, by link)."""

from approvals.models import ApprovalTask
from idconfluence.access import Rules

TASKS: Rules[ApprovalTask] = Rules(
    ApprovalTask,
    {
        "view": "approvals.view_approvaltask",
        "decide": "approvals.decide_approvaltask",
    },
)
