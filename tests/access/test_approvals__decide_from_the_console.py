"""Deciding from the console (*My tasks*): the assignee approves or rejects their own task with
the same checks as the emailed link; nobody else can, whether they see the task (an operator,
an auditor) or not (another approver); `decide` given on a task lets its holder decide it."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from approvals.access import TASKS
from approvals.models import ApprovalTask
from approvals.services.deciding import DecisionRefused, task_decide_in_console
from tests.access.conftest import person, signed_in
from tests.approvals.support import waiting_run

pytestmark = pytest.mark.django_db
TASKS_PAGE = "/admin/approvals/approvaltask/"


def approver(username: str, email: str) -> Any:
    user = get_user_model().objects.create_user(username, email, "pw-Person-123", is_staff=True)
    user.groups.add(Group.objects.get(name="Approvers"))
    return user


def decide(user: Any, task: ApprovalTask, action: str, comment: str = "") -> None:
    signed_in(user).post(
        TASKS_PAGE, {"action": action, "_selected_action": [task.pk], "comment": comment}
    )


def test_the_assignee_approves_their_task_from_my_tasks() -> None:
    raj = approver("raj", "raj@acme.example")
    run, task = waiting_run()
    page = signed_in(raj).get(TASKS_PAGE)
    assert [t.pk for t in page.context["cl"].result_list] == [task.pk]
    offered = [name for name, _ in page.context["action_form"].fields["action"].choices]
    assert {"approve", "reject"} <= set(offered)

    decide(raj, task, "approve", "fine")
    task.refresh_from_db()
    assert (task.state, task.decision, task.decided_by, task.comment) == (
        "decided",
        "approved",
        raj,
        "fine",
    )
    assert run.executions.filter(resume_outcome="approved").exists()


def test_nobody_else_decides_it_from_the_console() -> None:
    approver("raj", "raj@acme.example")
    _, task = waiting_run()
    other = approver("mia", "mia@acme.example")
    operator = person("operator", "Operators")  # sees every open task
    auditor = person("auditor", "Auditors")
    for user in (other, operator, auditor):
        decide(user, task, "approve")
        with pytest.raises(PermissionDenied, match="You may not decide"):
            task_decide_in_console(task=task, user=user, outcome="approved")
    task.refresh_from_db()
    assert task.state == "open"


def test_decide_given_on_the_task_lets_its_holder_decide_and_the_rules_still_hold() -> None:
    _, task = waiting_run(require_comment_to_reject=True)
    deputy = person("deputy")
    TASKS.grant(deputy, task, ["decide"])
    with pytest.raises(DecisionRefused, match="comment is required"):
        task_decide_in_console(task=task, user=deputy, outcome="rejected")
    task_decide_in_console(task=task, user=deputy, outcome="rejected", comment="not needed")
    task.refresh_from_db()
    assert (task.decision, task.decided_by) == ("rejected", deputy)


def test_the_subject_of_the_request_may_not_decide_it_even_with_decide() -> None:
    _, task = waiting_run()
    jo = person("jo")
    jo.email = "jo@acme.example"
    jo.save()
    TASKS.grant(jo, task, ["decide"])
    with pytest.raises(DecisionRefused, match="their own access"):
        task_decide_in_console(task=task, user=jo, outcome="approved")
