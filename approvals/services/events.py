"""The one way approval services audit a task's change: an event about the task, tied to its
run's workflow and run, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from approvals.models import ApprovalTask
from audit.services import record


def task_event(task: ApprovalTask, action: str, **fields: Any) -> None:
    record(
        action=action,
        target=task,
        workflow_id=task.run.workflow_id,
        run_id=task.run_id,
        **fields,
    )
