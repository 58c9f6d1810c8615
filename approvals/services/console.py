"""What operators and approvers do from the console: re-assign, cancel, resend the link, and
set an out-of-office delegation (which moves tasks already open, not only new ones)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from approvals.access import TASKS
from approvals.models import ApprovalLink, ApprovalTask, Delegation
from approvals.services import people
from approvals.services.events import task_event
from approvals.services.opening import send_on_commit
from approvals.status import EmailState, TaskState
from audit.services import record
from workflows.services.runs import NotRetryable, run_cancel


class ConsoleRefused(Exception):
    """The action does not apply (the message says why)."""


def _lock_open(task: ApprovalTask) -> ApprovalTask:
    locked = (
        ApprovalTask.objects.select_for_update(of=("self",))
        .select_related("run", "assignee_user")
        .get(pk=task.pk)
    )
    if locked.state != TaskState.OPEN:
        raise ConsoleRefused(f"task {locked.pk} is {locked.state}")
    return locked


def move_to(
    task: ApprovalTask, person: people.Person, *, now: dt.datetime, actor: Any, why: str
) -> None:
    """Re-assign a locked open task: old links withdrawn, the new assignee emailed on commit."""
    before = task.assignee
    ApprovalLink.objects.filter(task=task, revoked_at=None).update(revoked_at=now)
    task.assignee = person.label
    task.assignee_email = person.email
    task.assignee_user = person.user
    task.assignee_group = person.group
    task.on_behalf_of = person.on_behalf_of
    task.email_state, task.email_attempts, task.email_due_at = EmailState.PENDING, 0, now
    task.save()
    task_event(
        task,
        "approval.reassigned",
        actor=actor,
        actor_label="" if actor else "approvals sweep",
        details={
            "from": before,
            "to": person.label,
            "on_behalf_of": person.on_behalf_of,
            "why": why,
        },
    )
    send_on_commit(task.pk)


def task_reassign(*, task: ApprovalTask, to: str, actor: Any) -> ApprovalTask:
    TASKS.require_person(actor, "operate", task)
    with transaction.atomic():
        task = _lock_open(task)
        person = people.resolve(to)
        if person is None:
            raise ConsoleRefused(f"nobody matches {to!r}")
        if people.is_subject(person, task.subject):
            raise ConsoleRefused("the subject of the run may not decide it")
        move_to(task, person, now=timezone.now(), actor=actor, why="operator")
    return task


def task_resend(*, task: ApprovalTask, actor: Any) -> ApprovalTask:
    """A new link by email to the current assignee (earlier links stay valid)."""
    TASKS.require_person(actor, "operate", task)
    with transaction.atomic():
        task = _lock_open(task)
        ApprovalTask.objects.filter(pk=task.pk).update(
            email_state=EmailState.PENDING, email_attempts=0, email_due_at=timezone.now()
        )
        task_event(
            task,
            "approval.resent",
            actor=actor,
            details={"to": task.assignee},
        )
        send_on_commit(task.pk)
    return task


def task_cancel(*, task: ApprovalTask, actor: Any, note: str = "") -> ApprovalTask:
    """Cancel the task and its waiting run (locks: task, then the run's executions and run)."""
    TASKS.require_person(actor, "operate", task)
    with transaction.atomic():
        task = _lock_open(task)
        task.state, task.state_note = (
            TaskState.CANCELLED,
            (note or "cancelled by an operator")[:255],
        )
        task.save(update_fields=["state", "state_note"])
        ApprovalLink.objects.filter(task=task, revoked_at=None).update(revoked_at=timezone.now())
        task_event(
            task,
            "approval.cancelled",
            actor=actor,
            details={"note": task.state_note},
        )
        try:
            run_cancel(run=task.run, actor=actor, note=f"approval task {task.pk} cancelled")
        except NotRetryable as exc:
            raise ConsoleRefused(str(exc)) from None
    return task


def delegation_set(
    *, user: Any, delegate: Any, starts_on: dt.date, ends_on: dt.date, actor: Any
) -> Delegation:
    """Out of office from `starts_on` to `ends_on`: new tasks and those already open move to
    the delegate (now if the range has begun, else by the sweep when it does)."""
    if user.pk == delegate.pk:
        raise ConsoleRefused("a user cannot delegate to themselves")
    if ends_on < starts_on:
        raise ConsoleRefused("the range ends before it starts")
    with transaction.atomic():
        delegation = Delegation.objects.create(
            user=user, delegate=delegate, starts_on=starts_on, ends_on=ends_on
        )
        record(
            action="approval.delegation_set",
            actor=actor,
            target=delegation,
            details={
                "user": user.get_username(),
                "delegate": delegate.get_username(),
                "from": starts_on.isoformat(),
                "to": ends_on.isoformat(),
            },
        )
        now = timezone.now()
        if starts_on <= timezone.localdate(now) <= ends_on:
            for task in ApprovalTask.objects.filter(
                state=TaskState.OPEN, assignee_user=user
            ).order_by("pk"):
                task = _lock_open(task)
                person = people.Person(
                    label=task.assignee_email, email=task.assignee_email, user=user
                )
                moved = people.delegated(
                    person, today=timezone.localdate(now), subject=task.subject
                )
                if moved.user is not None and moved.user.pk != user.pk:
                    move_to(task, moved, now=now, actor=actor, why="delegation")
    return delegation
