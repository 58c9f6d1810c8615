"""Approval-gated role grant, end to end: a signed access request to the real web server; the
manager's approval email arrives over SMTP; with the clock 47 hours on nothing happens, at 49
hours the request escalates to the department head (their email arrives, the manager's link now
says it moved on), the department head approves through the emailed link and the real cluster
grants the role in SCIM."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from django.utils import timezone
from pytest_django.fixtures import SettingsWrapper

from approvals.models import ApprovalTask
from approvals.services.sweep import approvals_sweep
from tests.connectors.servers import SmtpServer
from tests.scenarios.support import (
    Inbox,
    Scim,
    Sender,
    approve_over_http,
    audit_actions,
    install,
    mail_connector,
    run_of,
    sample,
    scim_connector,
    settled,
    unique,
)
from tests.support.cluster import Process
from tests.support.gunicorn import Gunicorn

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.servers,
    pytest.mark.django_db(transaction=True),
]
ROLE = "Treasury-Payments-Approver"


def test_no_decision_in_48_hours_escalates_to_the_department_head_who_approves(
    web: Gunicorn,
    cluster: Process,
    scim: Scim,
    smtp_server: SmtpServer,
    inbox: Inbox,
    settings: SettingsWrapper,
) -> None:
    # The sweep runs here, at a moved clock: its emails go out as the workers' do.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_server.host, smtp_server.port
    settings.IDC_PUBLIC_URL = f"http://127.0.0.1:{web.port}"
    user = unique("jane")
    scim.add_user(user)
    scim.add_group(ROLE)
    scim_connector(scim)
    mail_connector(smtp_server)
    request = {**sample("role-grant-approval"), "requestId": unique("REQ"), "user": user}

    run = run_of(Sender.for_workflow(web, install("role-grant-approval")).post(request))
    run = settled(run, "waiting")
    manager_link = inbox.link("raj.patel@acme.example")
    task = ApprovalTask.objects.get(run=run)
    assert task.due_at is not None
    assert abs(task.due_at - task.created_at - dt.timedelta(hours=48)) < dt.timedelta(seconds=1)

    approvals_sweep(now=timezone.now() + dt.timedelta(hours=47))
    assert ApprovalTask.objects.filter(run=run).count() == 1  # not yet
    approvals_sweep(now=timezone.now() + dt.timedelta(hours=49))
    approvals_sweep(now=timezone.now() + dt.timedelta(hours=49))  # once, however many sweeps
    escalated = ApprovalTask.objects.get(run=run, state="open")
    assert (escalated.assignee, escalated.escalation_level) == ("maria.gomez@acme.example", 1)
    head_link = inbox.link("maria.gomez@acme.example")
    moved_on = requests.get(manager_link, timeout=10).text
    assert "escalated to someone else" in moved_on

    approve_over_http(head_link, comment="covering year-end")
    run = settled(run, "succeeded")
    assert user in scim_members(scim, ROLE)
    actions = audit_actions(run)
    assert actions.count("approval.escalated") == 1 and "approval.decided" in actions
    assert run.context["approve"]["decided_by"] == "maria.gomez@acme.example"


def scim_members(scim: Scim, group: str) -> set[str]:
    return {name for name in [scim_user_of(scim, m) for m in member_ids(scim, group)] if name}


def member_ids(scim: Scim, group: str) -> list[str]:
    answer = scim._session().get(f"{scim.base_url}/Groups/{scim.group_id(group)}", timeout=5)
    return [m["value"] for m in answer.json().get("members") or []]


def scim_user_of(scim: Scim, user_id: str) -> str:
    answer = scim._session().get(f"{scim.base_url}/Users/{user_id}", timeout=5)
    return str(answer.json().get("userName", ""))
