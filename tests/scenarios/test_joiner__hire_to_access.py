"""Joiner template, end to end: Workday posts a signed hire to the real web server; the real
cluster creates the SCIM account and the standard tools (Finance also gets the financial reporting
suite); the hiring manager's approval email arrives over SMTP, its link is opened in Chromium and
approved, and the sensitive environment appears in SCIM. A risky Sales hire is held until security
releases it (by the emailed link), then gets the standard tools and no financial reporting. A
manager who does not answer within five business days gets the run flagged for review."""

from __future__ import annotations

import datetime as dt

import pytest

from approvals.models import ApprovalTask
from approvals.services.sweep import approvals_sweep
from tests.connectors.servers import SmtpServer
from tests.scenarios.browser import decide_in_chromium
from tests.scenarios.support import (
    Inbox,
    Scim,
    Sender,
    approve_over_http,
    audit_actions,
    install,
    run_of,
    sample,
    scim_connector,
    settled,
    steps,
    unique,
)
from tests.support.cluster import Process
from tests.support.gunicorn import Gunicorn

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.servers,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
STANDARD = {"Email", "Collaboration", "Wiki"}
TOOLS = [*STANDARD, "Financial-Reporting", "Sensitive-Environment"]


def hire(user: str, department: str, risk: int, sensitive: bool) -> dict:  # type: ignore[type-arg]
    payload = sample("joiner")
    payload["eventId"] = unique("evt")
    payload["worker"].update(userName=user, email=f"{user}@acme.example", riskScore=risk)
    payload["worker"]["organization"]["name"] = department
    if not sensitive:
        del payload["worker"]["accessRequests"]
    return payload  # type: ignore[no-any-return]


def test_a_finance_hire_gets_the_tools_and_the_sensitive_environment_once_approved(
    web: Gunicorn, cluster: Process, scim: Scim, smtp_server: SmtpServer, inbox: Inbox
) -> None:
    for group in TOOLS:
        scim.add_group(group)
    scim_connector(scim)
    workflow = install("joiner")
    user = unique("jane")

    answer = Sender.for_workflow(web, workflow).post(hire(user, "Finance", 35, sensitive=True))
    run = settled(run_of(answer), "waiting")
    assert scim.user(user)["active"] is True  # type: ignore[index]
    assert scim.groups_of(user) == {*STANDARD, "Financial-Reporting"}  # not yet the sensitive one

    link = inbox.link("raj.patel@acme.example")
    message = decide_in_chromium(link, "approved", "needed for close", "scenario-joiner.png")
    assert "recorded as approved" in message
    run = settled(run, "succeeded")
    assert scim.groups_of(user) == {*STANDARD, "Financial-Reporting", "Sensitive-Environment"}

    assert steps(run) == [
        ("hire", "succeeded"),
        ("risky", "succeeded"),
        ("account", "succeeded"),
        ("email", "succeeded"),
        ("collaboration", "succeeded"),
        ("wiki", "succeeded"),
        ("finance_or_legal", "succeeded"),
        ("financial_reporting", "succeeded"),
        ("wants_sensitive", "succeeded"),
        ("ask_manager", "started"),  # the first execution ends waiting for the manager
        ("ask_manager", "succeeded"),
        ("sensitive", "succeeded"),
        ("done", "succeeded"),
    ]
    task = ApprovalTask.objects.get(run=run)
    assert (task.decision, task.comment, task.decided_by_email) == (
        "approved",
        "needed for close",
        "raj.patel@acme.example",
    )
    actions = audit_actions(run)
    assert actions.count("step.external_call") == 6  # account, 3 tools, reporting, sensitive
    for action in ("run.started", "approval.opened", "approval.emailed", "approval.decided"):
        assert action in actions, actions


def test_a_risky_sales_hire_waits_for_security_and_gets_no_financial_reporting(
    web: Gunicorn, cluster: Process, scim: Scim, smtp_server: SmtpServer, inbox: Inbox
) -> None:
    for group in TOOLS:
        scim.add_group(group)
    scim_connector(scim)
    workflow = install("joiner")
    user = unique("sam")

    answer = Sender.for_workflow(web, workflow).post(hire(user, "Sales", 85, sensitive=False))
    run = settled(run_of(answer), "waiting")
    assert scim.user(user) is None  # provisioning is paused: nothing exists yet

    approve_over_http(inbox.link("security@acme.example"))
    run = settled(run, "succeeded")
    assert scim.groups_of(user) == STANDARD
    keys = [key for key, _ in steps(run)]
    assert "financial_reporting" not in keys and "ask_manager" not in keys
    assert keys[-1] == "done"


def test_a_manager_silent_for_five_business_days_is_flagged_for_review(
    web: Gunicorn, cluster: Process, scim: Scim, inbox: Inbox
) -> None:
    for group in TOOLS:
        scim.add_group(group)
    scim_connector(scim)
    user = unique("lee")

    answer = Sender.for_workflow(web, install("joiner")).post(hire(user, "Legal", 10, True))
    run = settled(run_of(answer), "waiting")
    assert scim.groups_of(user) == {*STANDARD, "Financial-Reporting"}  # Legal, like Finance
    inbox.link("raj.patel@acme.example")  # asked, and never answers
    task = ApprovalTask.objects.get(run=run)
    assert task.due_at is not None

    approvals_sweep(now=task.due_at - dt.timedelta(minutes=1))
    assert ApprovalTask.objects.get(pk=task.pk).state == "open"
    approvals_sweep(now=task.due_at + dt.timedelta(minutes=1))
    run = settled(run, "failed")
    parked = run.executions.get(state="parked")
    assert parked.failed_block == "flag_review"
    assert "did not answer the sensitive-environment request" in parked.failure_reason
    assert "Sensitive-Environment" not in scim.groups_of(user)
    assert "approval.expired" in audit_actions(run)
