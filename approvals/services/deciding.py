"""Deciding a task by its emailed link: a compare-and-set on the open task, then the run resumes
at the chosen outcome's edge in the same transaction (so two clicks, or a click racing the
timeout sweep, decide once). Locks in the order task, execution, run, audit head everywhere."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from approvals.access import TASKS
from approvals.models import ApprovalLink, ApprovalTask
from approvals.services import people
from approvals.services.events import task_event
from approvals.services.fields import FieldRefused, read_fields
from approvals.services.opening import new_link, token_hash
from approvals.status import TaskState
from workflows.services.runs import NotRetryable, run_resume


class DecisionRefused(Exception):
    """The link cannot decide (the message says why, for the page)."""


class SignInRequired(DecisionRefused):
    """The workflow asks the assigned approver to sign in before deciding."""


@dataclass
class Found:
    link: ApprovalLink
    task: ApprovalTask


def link_find(*, token: str) -> Found | None:
    """The link and task a token opens (None for a token nobody issued)."""
    if not token or len(token) > 100 or not token.isascii():
        return None
    link = (
        ApprovalLink.objects.select_related("task", "task__run", "task__decided_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    return Found(link, link.task) if link else None


def why_closed(task: ApprovalTask, link: ApprovalLink) -> str:
    """What happened to a task the link can no longer decide; '' while it can."""
    if task.state == TaskState.DECIDED:
        who = task.decided_by_email + (
            f" on behalf of {task.decided_on_behalf_of}" if task.decided_on_behalf_of else ""
        )
        when = timezone.localtime(task.decided_at).strftime("%Y-%m-%d %H:%M %Z")
        return f"Already decided: {task.decision} by {who} at {when}."
    if task.state == TaskState.EXPIRED:
        return "This request expired: its deadline passed without a decision."
    if task.state == TaskState.ESCALATED:
        return "This request was escalated to someone else; this link no longer applies."
    if task.state == TaskState.CANCELLED:
        return f"This request was cancelled. {task.state_note}".strip()
    if link.revoked_at is not None:
        return "This link was withdrawn (the request was re-assigned)."
    return ""


def task_decide(
    *,
    token: str,
    outcome: str,
    comment: str = "",
    user: Any = None,
    request: Any = None,
    fields: dict[str, Any] | None = None,
) -> ApprovalTask:
    """Decide the task the token's link belongs to, once; raises DecisionRefused saying why."""
    found = link_find(token=token)
    if found is None:
        raise DecisionRefused("This link is not valid.")
    return _decide_found(
        found, outcome=outcome, comment=comment, user=user, request=request, fields=fields
    )


class NotAnApprover(DecisionRefused):
    """The signed-in user holds no link of this task (not its assignee, delegate or group)."""


def task_decide_signed_in(
    *,
    task: ApprovalTask,
    user: Any,
    outcome: str,
    comment: str = "",
    request: Any = None,
    fields: dict[str, Any] | None = None,
) -> ApprovalTask:
    """Decide as the signed-in user (the API), through the link the task was sent to them by
    (or, before the email went out, a link of their own as its assignee): the same checks,
    compare-and-set and audit as the emailed link. All or nothing: a refused decision leaves
    no link behind."""
    links = ApprovalLink.objects.filter(task_id=task.pk, revoked_at__isnull=True)
    email = (getattr(user, "email", "") or "").strip()
    with transaction.atomic():
        link = links.filter(user=user).order_by("pk").first() or (
            links.filter(email__iexact=email).order_by("pk").first() if email else None
        )
        if link is None and _is_assignee(task, user, email):
            new_link(task, people.Person(label=email, email=email, user=user))
            link = links.filter(user=user).order_by("-pk").first()
        if link is None:
            raise NotAnApprover(f"You are not an approver of task {task.pk}.")
        return _decide_found(
            Found(link, task),
            outcome=outcome,
            comment=comment,
            user=user,
            request=request,
            fields=fields,
        )


def may_decide(task: ApprovalTask, user: Any) -> bool:
    """Whether `user` is one of the task's approvers (a link was sent to them, or it is theirs):
    asked before a decision's body is read, so a stranger learns nothing from a 400."""
    email = (getattr(user, "email", "") or "").strip()
    links = ApprovalLink.objects.filter(task_id=task.pk, revoked_at__isnull=True)
    has_link = links.filter(user=user).exists() or (
        bool(email) and links.filter(email__iexact=email).exists()
    )
    return has_link or _is_assignee(task, user, email)


def _is_assignee(task: ApprovalTask, user: Any, email: str) -> bool:
    if task.assignee_user_id is not None:
        return bool(task.assignee_user_id == user.pk)
    if task.assignee_group_id is not None:
        return bool(user.groups.filter(pk=task.assignee_group_id).exists())
    return bool(email) and task.assignee_email.lower() == email.lower()


def _decide_found(
    found: Found,
    *,
    outcome: str,
    comment: str,
    user: Any,
    request: Any,
    fields: dict[str, Any] | None,
) -> ApprovalTask:
    comment = comment.strip()[:4000]
    refusal: DecisionRefused | None = None
    with transaction.atomic():
        task = (
            ApprovalTask.objects.select_for_update(of=("self",))
            .select_related("run")
            .get(pk=found.link.task_id)
        )
        link = ApprovalLink.objects.get(pk=found.link.pk)
        try:
            _check(task, link, outcome=outcome, comment=comment, user=user)
            values = read_fields(task.config.get("fields") or [], fields or {})
        except FieldRefused as exc:
            refusal = DecisionRefused(str(exc))
        except DecisionRefused as exc:
            refusal = exc
        else:
            return _decide(task, link, outcome, comment, user, request, values)
    if isinstance(refusal, SignInRequired):  # audited outside the refused transaction
        link_opened_without_sign_in(found=found, user=user, request=request, outcome=outcome)
    raise refusal or DecisionRefused("refused")


def task_decide_in_console(
    *, task: ApprovalTask, user: Any, outcome: str, comment: str = "", request: Any = None
) -> ApprovalTask:
    """Decide from the console (*My tasks*) as the signed-in person: their own task (as its
    assignee, by their open link) or one they hold `decide` on. The same checks as a link
    (open, in time, an offered outcome, a comment to reject, never one's own access); a task
    asking for input fields is decided on its page, where they are asked."""
    TASKS.require(user, "decide", task)
    comment = comment.strip()[:4000]
    with transaction.atomic():
        task = (
            ApprovalTask.objects.select_for_update(of=("self",))
            .select_related("run")
            .get(pk=task.pk)
        )
        mine = ApprovalLink.objects.filter(task=task, revoked_at=None)
        link = (
            mine.filter(user=user).first() or mine.filter(email__iexact=user.email or "-").first()
        )
        if link is None:  # given `decide` without a link of their own: decided in their name
            link = ApprovalLink(task=task, email=user.email or user.get_username(), user=user)
        _check(task, link, outcome=outcome, comment=comment, user=user)
        if task.config.get("fields"):
            raise DecisionRefused("This request asks for input: decide it on its page.")
        return _decide(task, link, outcome, comment, user, request, {})


def link_opened_without_sign_in(
    *, found: Found, user: Any, request: Any, outcome: str = ""
) -> None:
    """A link of a task that requires sign-in, used by someone not signed in as its assignee
    (a forwarded mail): nothing is decided, and the audit log says who tried."""
    signed_in = getattr(user, "is_authenticated", False)
    task_event(
        found.task,
        "approval.sign_in_required",
        actor=user if signed_in else "",
        actor_label="" if signed_in else "anonymous link holder",
        request=request,
        details={"link_for": found.link.email, "outcome": outcome},
    )


def _check(
    task: ApprovalTask, link: ApprovalLink, *, outcome: str, comment: str, user: Any
) -> None:
    closed = why_closed(task, link)
    if closed:
        raise DecisionRefused(closed)
    if timezone.now() >= task.due_at:
        raise DecisionRefused("This request's deadline has passed; it can no longer be decided.")
    keys = [o["key"] for o in task.outcomes]
    if outcome not in keys:
        raise DecisionRefused(f"Choose one of: {', '.join(keys)}.")
    if outcome == "rejected" and task.require_comment_to_reject and not comment:
        raise DecisionRefused("A comment is required to reject.")
    decider = people.Person(label=link.email, email=link.email, user=link.user)
    if people.is_subject(decider, task.subject):
        raise DecisionRefused("Nobody may decide a request about their own access.")
    if task.require_sign_in:
        signed_in = getattr(user, "is_authenticated", False)
        if not signed_in or (user.email or "").lower() != link.email.lower():
            raise SignInRequired(f"This request requires {link.email} to sign in before deciding.")


def _decide(
    task: ApprovalTask,
    link: ApprovalLink,
    outcome: str,
    comment: str,
    user: Any,
    request: Any,
    fields: dict[str, Any],
) -> ApprovalTask:
    now = timezone.now()
    signed_in = user if getattr(user, "is_authenticated", False) else None
    task.state = TaskState.DECIDED
    task.decision = outcome
    task.comment = comment
    task.decided_at = now
    task.decided_by = signed_in or link.user
    task.decided_by_email = link.email
    task.decided_on_behalf_of = link.on_behalf_of
    task.save(
        update_fields=[
            "state",
            "decision",
            "comment",
            "decided_at",
            "decided_by",
            "decided_by_email",
            "decided_on_behalf_of",
        ]
    )
    payload = {
        **fields,
        "outcome": outcome,
        "decided_by": link.email,
        "on_behalf_of": link.on_behalf_of,
        "comment": comment,
        "decided_at": now.isoformat(),
    }
    try:
        with transaction.atomic():
            run_resume(
                run=task.run,
                block_key=task.block_key,
                outcome=outcome,
                payload=payload,
                actor=signed_in or link.email,
            )
    except NotRetryable as exc:  # the run was cancelled or resumed another way meanwhile
        raise DecisionRefused(f"This request no longer applies: {exc}.") from None
    task_event(
        task,
        "approval.decided",
        actor=signed_in or link.email,
        request=request,
        details={
            "block": task.block_key,
            "decision": outcome,
            "comment": comment,
            "decided_by": link.email,
            "on_behalf_of": link.on_behalf_of,
            "level": task.escalation_level,
        },
    )
    return task
