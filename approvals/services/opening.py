"""Opening a task where a run waits, and emailing its links.

`task_open` runs inside the transaction that ends the execution `waiting`, so the task exists
exactly when the run waits. Its email goes after commit (or, failing that, by the sweep); a
send is claimed first (a compare-and-set on the task's email fields), so a failed send is
retried with backoff and shown on the task, and never loses the task.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from approvals import business_time
from approvals.business_time import BusinessCalendar, CalendarError
from approvals.models import ApprovalLink, ApprovalTask
from approvals.services import people
from approvals.services.events import task_event
from approvals.status import EmailState, TaskState
from audit.services import record

logger = logging.getLogger(__name__)
MAX_EMAIL_ATTEMPTS = 10


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_of(config: dict[str, Any]) -> BusinessCalendar:
    try:
        return BusinessCalendar.from_config(config.get("calendar"))
    except CalendarError:
        logger.warning("approval calendar %r unusable; counting in UTC", config.get("calendar"))
        return BusinessCalendar()


def due_after(start: dt.datetime, config: dict[str, Any]) -> tuple[dt.datetime, str, list[str]]:
    """The deadline, its local text, and the reminder instants before it (ISO, oldest first)."""
    calendar = calendar_of(config)
    deadline = config.get("deadline") or {"amount": 24, "unit": "business_hours"}
    due = business_time.add(start, float(deadline["amount"]), deadline["unit"], calendar)
    remind = sorted(
        business_time.subtract(due, float(r["amount"]), r["unit"], calendar)
        for r in config.get("reminders") or []
    )
    text = business_time.local_text(due, calendar.zone)
    return due, text, [r.isoformat() for r in remind if r > start]


def task_open(*, execution: Any, block_key: str, task: dict[str, Any]) -> ApprovalTask:
    """Open the task for the block `execution` waits on (in the caller's transaction)."""
    now = timezone.now()
    subject = str(task.get("subject") or "")
    chain = [task.get("assignee"), *task.get("escalation", [])]
    config = {
        key: task.get(key)
        for key in ("deadline", "calendar", "reminders", "escalation", "max_escalations", "fields")
    }
    config["chain"] = [str(c or "") for c in chain]
    return _create(
        execution=execution,
        block_key=block_key,
        title=str(task.get("title") or block_key),
        instructions=str(task.get("instructions") or task.get("description") or ""),
        subject=subject,
        outcomes=task.get("outcomes") or [],
        require_comment_to_reject=bool(task.get("require_comment_to_reject")),
        require_sign_in=bool(task.get("require_sign_in")),
        config=config,
        level=0,
        now=now,
        escalated_from=None,
    )


def _create(
    *,
    execution: Any,
    block_key: str,
    level: int,
    now: dt.datetime,
    config: dict[str, Any],
    subject: str,
    escalated_from: ApprovalTask | None,
    **fields: Any,
) -> ApprovalTask:
    found = people.first_eligible(config["chain"], subject=subject, start=level)
    note = ""
    remind: list[str]
    if found is None:  # nobody left who may decide: due now, so the sweep takes `timeout`
        person, level, due, due_text, remind = (
            None,
            max(level, len(config["chain"]) - 1),
            now,
            "",
            [],
        )
        note = "nobody in the chain may decide this task (unresolved, or the subject)"
    else:
        level, person = found
        person = people.delegated(person, today=timezone.localdate(now), subject=subject)
        due, due_text, remind = due_after(now, config)
    task = ApprovalTask.objects.create(
        run_id=execution.run_id,
        execution=execution,
        block_key=block_key,
        subject=subject,
        config={**config, "remind_at": remind},
        due_at=due,
        due_text=due_text,
        escalation_level=level,
        escalated_from=escalated_from,
        state_note=note,
        email_due_at=now,
        **_assignee_fields(person),
        **fields,
    )
    record(
        action="approval.opened",
        target=task,
        workflow_id=execution.run.workflow_id,
        run_id=execution.run_id,
        execution_id=execution.pk,
        details={
            "block": block_key,
            "assignee": task.assignee,
            "on_behalf_of": task.on_behalf_of,
            "due_at": due.isoformat(),
            "due": due_text,
            "level": level,
            "note": note,
        },
    )
    if person is not None:
        send_on_commit(task.pk)
    return task


def _assignee_fields(person: people.Person | None) -> dict[str, Any]:
    if person is None:
        return {"assignee": "", "assignee_email": "", "assignee_user": None, "assignee_group": None}
    return {
        "assignee": person.label,
        "assignee_email": person.email,
        "assignee_user": person.user,
        "assignee_group": person.group,
        "on_behalf_of": person.on_behalf_of,
    }


def send_on_commit(task_id: int) -> None:
    """After commit, send in this process (bounded by EMAIL_TIMEOUT): no broker message to lose,
    and a send that fails or never happens (the process died) is the sweep's to retry."""

    def send() -> None:
        try:
            task_email_send(task_id=task_id)
        except Exception:
            logger.warning("approval task %s: email left to the sweep", task_id, exc_info=True)

    transaction.on_commit(send)


def _claim_send(task_id: int, now: dt.datetime) -> ApprovalTask | None:
    """Claim one send attempt: due, open, not yet sent; pushes the next attempt out (backoff)."""
    with transaction.atomic():
        task = (
            ApprovalTask.objects.select_for_update(of=("self",))
            .select_related("assignee_group", "assignee_user", "run")
            .filter(pk=task_id)
            .first()
        )
        if (
            task is None
            or task.state != TaskState.OPEN
            or task.email_state == EmailState.SENT
            or task.email_attempts >= MAX_EMAIL_ATTEMPTS
            or (task.email_due_at and task.email_due_at > now)
        ):
            return None
        task.email_attempts += 1
        task.email_due_at = now + dt.timedelta(minutes=min(2 ** (task.email_attempts - 1), 60))
        task.save(update_fields=["email_attempts", "email_due_at"])
    return task


def task_email_send(*, task_id: int, now: dt.datetime | None = None) -> bool:
    """Send the task's request email to each recipient (one new link each); True when sent."""
    now = now or timezone.now()
    task = _claim_send(task_id, now)
    if task is None:
        return False
    try:
        sent = _send(task, kind="request")
    except Exception as exc:
        logger.warning("approval task %s: email failed: %s", task.pk, exc)
        ApprovalTask.objects.filter(pk=task.pk).update(
            email_state=EmailState.FAILED, email_error=f"{type(exc).__name__}: {exc}"[:500]
        )
        return False
    ApprovalTask.objects.filter(pk=task.pk).update(email_state=EmailState.SENT, email_error="")
    task_event(
        task,
        "approval.emailed",
        details={"to": sent, "attempt": task.email_attempts},
    )
    return True


def new_link(task: ApprovalTask, person: people.Person) -> str:
    token = secrets.token_urlsafe(32)
    ApprovalLink.objects.create(
        task=task,
        email=person.email,
        user=person.user,
        on_behalf_of=person.on_behalf_of,
        token_hash=token_hash(token),
    )
    return token


def link_url(token: str) -> str:
    base = str(getattr(settings, "IDC_PUBLIC_URL", "") or "http://localhost:8000").rstrip("/")
    return f"{base}/a/{token}"


def _send(task: ApprovalTask, *, kind: str) -> list[str]:
    """One email per recipient, each with its own link; returns the addresses."""
    sent = []
    for person in people.recipients(task):
        token = new_link(task, person)
        context = {"task": task, "url": link_url(token), "kind": kind, "person": person}
        subject = ("Reminder: " if kind == "reminder" else "Approval needed: ") + task.title
        body = render_to_string("approvals/email.txt", context)
        EmailMessage(
            subject=subject.replace("\n", " ")[:200],
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[person.email],
        ).send()
        sent.append(person.email)
    return sent


def send_reminder(task: ApprovalTask) -> None:
    try:
        _send(task, kind="reminder")
    except Exception:
        logger.warning("approval task %s: reminder failed", task.pk, exc_info=True)
