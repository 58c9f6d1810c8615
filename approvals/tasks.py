"""django-q2 entry points: thin, they take an id and call a service."""

from __future__ import annotations

from approvals.services.opening import task_email_send
from approvals.services.sweep import approvals_sweep


def send_email(task_id: int) -> bool:
    return task_email_send(task_id=task_id)


def sweep() -> int:
    """Every minute (a django-q2 schedule): emails due, delegations, reminders, deadlines."""
    return approvals_sweep()
