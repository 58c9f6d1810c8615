"""The approvals sweep: a stored `due_at` (and reminder instants) plus an idempotent pass.

Each row is re-checked under its lock (task, then execution, then run, then the audit head, the
order every approval write takes), so run twice, or on two clusters at once, every reminder,
escalation and timeout happens once; a decision racing the timeout finds the task already
closed, or closes it first. A broken row is skipped with a log line; it returns how many it
handled.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from approvals.models import ApprovalLink, ApprovalTask
from approvals.services import people
from approvals.services.events import task_event
from approvals.services.opening import (
    MAX_EMAIL_ATTEMPTS,
    _create,
    send_reminder,
    task_email_send,
)
from approvals.status import EmailState, TaskState
from workflows.services.runs import NotRetryable, run_resume

logger = logging.getLogger(__name__)
BATCH = 200


def approvals_sweep(*, now: dt.datetime | None = None) -> int:
    """Emails due, delegations begun, reminders due, deadlines passed; how many it handled."""
    now = now or timezone.now()
    handled = 0
    open_tasks = ApprovalTask.objects.filter(state=TaskState.OPEN)
    steps: list[tuple[Callable[[int], bool], QuerySet[ApprovalTask]]] = [
        (
            lambda pk: task_email_send(task_id=pk, now=now),
            open_tasks.filter(
                email_state__in=[EmailState.PENDING, EmailState.FAILED],
                email_due_at__lte=now,
                email_attempts__lt=MAX_EMAIL_ATTEMPTS,
            ).exclude(assignee=""),
        ),
        (
            lambda pk: task_follow_delegation(task_id=pk, now=now),
            open_tasks.exclude(assignee_user=None),
        ),
        (lambda pk: task_remind(task_id=pk, now=now), open_tasks.exclude(config__remind_at=[])),
        (lambda pk: task_expire(task_id=pk, now=now), open_tasks.filter(due_at__lte=now)),
    ]
    for step, rows in steps:
        for pk in list(rows.order_by("due_at").values_list("pk", flat=True)[:BATCH]):
            try:
                handled += bool(step(pk))
            except (OperationalError, InterfaceError):
                raise
            except Exception:
                logger.exception("approvals sweep: task %s skipped", pk)
    return handled


def _locked_open(task_id: int) -> ApprovalTask | None:
    task = (
        ApprovalTask.objects.select_for_update(of=("self",))
        .select_related("run", "execution", "assignee_user")
        .filter(pk=task_id)
        .first()
    )
    return task if task is not None and task.state == TaskState.OPEN else None


def task_remind(*, task_id: int, now: dt.datetime) -> bool:
    """The next reminder, once its instant has come (compare-and-set on `reminders_sent`)."""
    with transaction.atomic():
        task = _locked_open(task_id)
        if task is None:
            return False
        remind_at = [dt.datetime.fromisoformat(r) for r in task.config.get("remind_at", [])]
        due = [r for r in remind_at if r <= now]
        if len(due) <= task.reminders_sent or now >= task.due_at:
            return False
        task.reminders_sent = len(due)
        task.save(update_fields=["reminders_sent"])
        task_event(
            task,
            "approval.reminded",
            details={"reminder": task.reminders_sent, "to": task.assignee},
        )
        transaction.on_commit(lambda: send_reminder(task))
    return True


def task_expire(*, task_id: int, now: dt.datetime) -> bool:
    """A passed deadline: up the chain (a new task with its own deadline) while the depth
    allows and someone is left, else the run takes the block's `timeout` edge."""
    with transaction.atomic():
        task = _locked_open(task_id)
        if task is None or task.due_at > now:
            return False
        depth = int(task.config.get("max_escalations") or 0)
        nxt = people.first_eligible(
            task.config.get("chain", []), subject=task.subject, start=task.escalation_level + 1
        )
        if nxt is not None and nxt[0] <= depth:
            _escalate(task, now)
            return True
        task.state = TaskState.EXPIRED
        task.save(update_fields=["state"])
        _revoke(task, now)
        task_event(
            task,
            "approval.expired",
            details={"block": task.block_key, "level": task.escalation_level},
        )
        try:
            with transaction.atomic():
                run_resume(
                    run=task.run,
                    block_key=task.block_key,
                    outcome="timeout",
                    payload={"outcome": "timeout", "escalation_level": task.escalation_level},
                    actor_label="approvals sweep",
                )
        except NotRetryable as exc:
            task.state, task.state_note = TaskState.CANCELLED, str(exc)[:255]
            task.save(update_fields=["state", "state_note"])
    return True


def _escalate(task: ApprovalTask, now: dt.datetime) -> ApprovalTask:
    task.state = TaskState.ESCALATED
    task.save(update_fields=["state"])
    _revoke(task, now)
    new = _create(
        execution=task.execution,
        block_key=task.block_key,
        level=task.escalation_level + 1,
        now=now,
        config={k: v for k, v in task.config.items() if k != "remind_at"},
        subject=task.subject,
        escalated_from=task,
        title=task.title,
        instructions=task.instructions,
        outcomes=task.outcomes,
        require_comment_to_reject=task.require_comment_to_reject,
        require_sign_in=task.require_sign_in,
    )
    task_event(
        task,
        "approval.escalated",
        details={"to": new.assignee, "task": new.pk, "level": new.escalation_level},
    )
    return new


def _revoke(task: ApprovalTask, now: dt.datetime) -> None:
    ApprovalLink.objects.filter(task=task, revoked_at=None).update(revoked_at=now)


def task_follow_delegation(*, task_id: int, now: dt.datetime) -> bool:
    """An open task whose assignee is now out of office moves to the delegate."""
    with transaction.atomic():
        task = _locked_open(task_id)
        if task is None or task.assignee_user is None:
            return False
        person = people.Person(
            label=task.assignee_email, email=task.assignee_email, user=task.assignee_user
        )
        moved = people.delegated(person, today=timezone.localdate(now), subject=task.subject)
        if moved.user is None or moved.user.pk == task.assignee_user.pk:
            return False
        from approvals.services.console import move_to

        move_to(task, moved, now=now, actor=None, why="delegation")
    return True
