"""The block's config beyond approve/reject: custom outcomes reach their own edge with the
decision's fields under the block's key; a group's members each get a link and the first
decides; a task nobody in the chain may decide takes the `timeout` edge at the next sweep."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail

from approvals.models import ApprovalTask
from approvals.services.deciding import DecisionRefused, task_decide
from approvals.services.sweep import approvals_sweep
from tests.approvals.support import GRANT, links_in, waiting_run
from tests.support.documents import block, document, edge
from tests.support.factories import perform, published
from workflows.engine.blocks.human_input import Approval
from workflows.services.runs import run_start

pytestmark = pytest.mark.django_db


def test_custom_outcomes_must_each_be_wired_and_reach_their_edge(
    django_capture_on_commit_callbacks,
) -> None:
    outcomes = [
        {"key": "approved", "label": "Approve"},
        {"key": "needs_info", "label": "Ask for more information"},
    ]
    assert Approval().required_outcomes({"outcomes": outcomes}) == (
        "approved",
        "needs_info",
        "timeout",
    )
    get_user_model().objects.create_user("raj", "raj@acme.example")
    doc = document(
        "custom",
        [
            block("start", "trigger", "manual"),
            block(
                "ask",
                "human_input",
                "approval",
                assignee="=event.manager",
                title="Grant?",
                outcomes=outcomes,
            ),
            block("ok", "logic", "noop"),
            block("more", "logic", "set", values={"asked": "=ask.comment"}),
            block("late", "logic", "noop"),
        ],
        [
            edge("start", "ask"),
            edge("ask", "ok", "approved"),
            edge("ask", "more", "needs_info"),
            edge("ask", "late", "timeout"),
        ],
    )
    run = run_start(workflow=published(doc).workflow, input=GRANT)
    with django_capture_on_commit_callbacks(execute=True):
        perform(run)
    [token] = links_in(mail.outbox)
    with pytest.raises(DecisionRefused, match="Choose one of"):
        task_decide(token=token, outcome="rejected")
    task_decide(token=token, outcome="needs_info", comment="which cost centre?")
    perform(run)
    run.refresh_from_db()
    assert run.state == "succeeded" and run.context["more"] == {"asked": "which cost centre?"}


def test_a_group_gets_one_link_each_and_the_first_member_decides(
    django_capture_on_commit_callbacks,
) -> None:
    owners = Group.objects.create(name="Finance-Owners")
    users = get_user_model().objects
    for name in ("ana", "bo", "jo"):  # jo is the subject: no link for jo
        owners.user_set.add(users.create_user(name, f"{name}@acme.example"))
    with django_capture_on_commit_callbacks(execute=True):
        _, task = waiting_run({**GRANT, "manager": "group:Finance-Owners"})
    assert task.assignee == "group:Finance-Owners"
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@acme.example", "bo@acme.example"]
    ana_token, bo_token = links_in(sorted(mail.outbox, key=lambda m: m.to[0]))
    task_decide(token=bo_token, outcome="approved")
    with pytest.raises(DecisionRefused, match=r"Already decided: approved by bo@acme\.example"):
        task_decide(token=ana_token, outcome="rejected")


def test_a_task_nobody_may_decide_takes_the_timeout_edge_at_the_next_sweep() -> None:
    run, task = waiting_run(
        {**GRANT, "manager": "nobody@acme.example"} | {"user": "x"}, assignee="user:ghost"
    )
    assert task.assignee == "" and "nobody in the chain" in task.state_note
    assert approvals_sweep() == 1
    assert ApprovalTask.objects.get(pk=task.pk).state == "expired"
    perform(run)
    run.refresh_from_db()
    assert run.context["late"] == {"flagged_for_review": True}


def test_an_escalation_level_missing_from_the_context_is_skipped_not_a_failure() -> None:
    get_user_model().objects.create_user("raj", "raj@acme.example")
    _, task = waiting_run(escalation=["=event.worker.manager.manager.email", "user:raj"])
    assert task.config["chain"] == ["raj@acme.example", "user:raj"]
