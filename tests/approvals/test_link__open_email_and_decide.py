"""Reaching the block opens a task in the waiting commit and emails a link after commit; the link
page shows the request, only a CSRF-protected POST decides, and it decides once."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client, override_settings

from approvals.models import ApprovalLink, ApprovalTask
from approvals.selectors import decisions_for_runs
from approvals.services.opening import task_email_send
from approvals.services.sweep import approvals_sweep
from audit.models import AuditEvent
from audit.selectors import approvals_for_runs
from tests.approvals.support import GRANT, sent_links, waiting_run
from tests.support.factories import perform

pytestmark = pytest.mark.django_db
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def raj():
    return get_user_model().objects.create_user("raj", "raj@acme.example", "pw-Raj-12345")


def emailed_link(task: ApprovalTask) -> str:
    mail.outbox.clear()
    assert task_email_send(task_id=task.pk)
    [token] = sent_links()
    return token


def post(client: Client, token: str, outcome: str, comment: str = "", csrf: str = ""):
    """A click on a decision button of the page as it was shown (`csrf`: a stale page's)."""
    if not csrf:
        found = CSRF.search(client.get(f"/a/{token}").content.decode())
        csrf = found.group(1) if found else ""
    data = {"outcome": outcome, "comment": comment, "csrfmiddlewaretoken": csrf}
    return client.post(f"/a/{token}", data, REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Mail/1.0")


def test_reaching_the_block_opens_one_task_for_the_resolved_approver(raj) -> None:
    run, task = waiting_run()
    execution = run.executions.get()
    assert (task.state, task.execution_id, task.block_key) == ("open", execution.pk, "ask")
    assert execution.waiting_block == "ask"
    assert task.title == "Grant Finance-Analysts to jo@acme.example?"
    assert task.instructions == "jo@acme.example asked for Finance-Analysts."
    assert (task.assignee_email, task.assignee_user) == ("raj@acme.example", raj)
    assert [o["key"] for o in task.outcomes] == ["approved", "rejected"]
    assert task.subject == "jo@acme.example" and task.due_text
    opened = AuditEvent.objects.get(action="approval.opened")
    assert opened.execution_id == execution.pk and opened.run_id == run.pk


def test_the_email_carries_a_link_whose_token_is_stored_only_as_a_hash(raj) -> None:
    _, task = waiting_run()
    token = emailed_link(task)
    assert len(token) >= 43 and mail.outbox[0].to == ["raj@acme.example"]
    assert task.due_text in mail.outbox[0].body
    link = ApprovalLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(ApprovalLink.objects.values()))
    assert not task_email_send(task_id=task.pk)  # sent once: a duplicate message sends nothing


def test_a_failed_send_is_shown_and_retried_by_the_sweep_without_losing_the_task(raj) -> None:
    _, task = waiting_run()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=1,  # nothing listens: connection refused
    ):
        assert not task_email_send(task_id=task.pk)
    task.refresh_from_db()
    assert (task.state, task.email_state, task.email_attempts) == ("open", "failed", 1)
    assert "refused" in task.email_error.lower() or "errno" in task.email_error.lower()
    mail.outbox.clear()
    assert approvals_sweep() == 0  # not due again yet (backoff)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)):
        approvals_sweep()
    task.refresh_from_db()
    assert task.email_state == "sent" and len(sent_links()) == 1


def test_get_and_head_never_decide_and_the_page_is_not_cached_or_referred_elsewhere(raj) -> None:
    run, task = waiting_run()
    token = emailed_link(task)
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/a/{token}")
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] and page["Referrer-Policy"] == "same-origin"
    html = page.content.decode()
    assert "Grant Finance-Analysts to jo@acme.example?" in html and task.due_text in html
    assert "<script" not in html and 'method="post"' in html
    assert client.head(f"/a/{token}").status_code == 200
    task.refresh_from_db()
    run.refresh_from_db()
    assert task.state == "open" and run.state == "waiting"


def test_approving_resumes_the_run_at_the_approved_edge_once(raj) -> None:
    run, task = waiting_run()
    token = emailed_link(task)
    client = Client(enforce_csrf_checks=True)
    shown = CSRF.search(client.get(f"/a/{token}").content.decode())
    assert shown is not None
    answer = post(client, token, "approved", "fine", csrf=shown.group(1))
    assert answer.status_code == 200 and "recorded as approved" in answer.content.decode()
    task.refresh_from_db()
    assert (task.state, task.decision, task.decided_by_email, task.decided_by) == (
        "decided",
        "approved",
        "raj@acme.example",
        raj,
    )
    again = post(client, token, "rejected", "changed my mind", csrf=shown.group(1))
    assert again.status_code == 409 and "Already decided: approved" in again.content.decode()
    assert perform(run).state == "succeeded"
    run.refresh_from_db()
    assert run.state == "succeeded" and run.executions.count() == 2
    assert run.context["granted"] == {"granted": True}
    assert run.context["ask"]["outcome"] == "approved" and run.context["ask"]["comment"] == "fine"
    decided = AuditEvent.objects.get(action="approval.decided")
    assert (decided.actor_label, decided.ip_address, decided.user_agent) == (
        "raj@acme.example",
        "192.0.2.7",
        "Mail/1.0",
    )
    assert decided.details["comment"] == "fine"
    [row] = decisions_for_runs([run.pk])[run.pk]
    assert (row["approver"], row["decision"]) == ("raj@acme.example", "approved")
    assert approvals_for_runs([run.pk])[run.pk] == [row]  # the audit export's hook


def test_a_post_without_the_csrf_token_decides_nothing(raj) -> None:
    _, task = waiting_run()
    token = emailed_link(task)
    answer = Client(enforce_csrf_checks=True).post(f"/a/{token}", {"outcome": "approved"})
    assert answer.status_code == 403
    task.refresh_from_db()
    assert task.state == "open"


def test_rejecting_requires_a_comment_when_configured_and_follows_the_rejected_edge(raj) -> None:
    run, task = waiting_run(require_comment_to_reject=True)
    token = emailed_link(task)
    client = Client(enforce_csrf_checks=True)
    refused = post(client, token, "rejected")
    assert refused.status_code == 409 and "comment is required" in refused.content.decode()
    assert post(client, token, "rejected", "not needed for this role").status_code == 200
    assert perform(run).state == "succeeded"
    run.refresh_from_db()
    assert run.context["refused"] == {"granted": False}


def test_a_foreign_token_and_a_token_of_another_task_decide_only_their_own(raj) -> None:
    _, task_a = waiting_run()
    _, task_b = waiting_run({**GRANT, "user": "kim@acme.example"})
    token_a = emailed_link(task_a)
    client = Client(enforce_csrf_checks=True)
    assert client.get("/a/" + "x" * 43).status_code == 404
    assert client.post("/a/" + "x" * 43, {"outcome": "approved"}).status_code in (403, 404)
    assert post(client, token_a, "approved").status_code == 200
    task_b.refresh_from_db()
    assert task_b.state == "open"
    assert ApprovalTask.objects.get(pk=task_a.pk).state == "decided"


def test_an_expired_link_cannot_decide(raj) -> None:
    _, task = waiting_run(deadline={"amount": 1, "unit": "hours"})
    token = emailed_link(task)
    with time_machine.travel(task.due_at + dt.timedelta(minutes=1)):
        answer = post(Client(enforce_csrf_checks=True), token, "approved")
        assert answer.status_code == 409 and "deadline has passed" in answer.content.decode()
    task.refresh_from_db()
    assert task.state == "open"  # the sweep, not the link, takes the timeout edge


def test_the_subject_never_decides_their_own_access_the_task_goes_up_the_chain(raj) -> None:
    boss = get_user_model().objects.create_user("ana", "ana@acme.example")
    event = {**GRANT, "user": "raj@acme.example"}  # raj asks for access; raj is the manager
    _, task = waiting_run(event, escalation=["user:ana"])
    assert (task.assignee_email, task.assignee_user, task.escalation_level) == (
        "ana@acme.example",
        boss,
        1,
    )


def test_sign_in_required_a_forwarded_link_decides_nothing_and_is_audited(raj) -> None:
    _, task = waiting_run(require_sign_in=True)
    token = emailed_link(task)
    anonymous = Client(enforce_csrf_checks=True)
    page = anonymous.get(f"/a/{token}").content.decode()
    assert "sign in" in page.lower() and "decide-approved" not in page
    assert AuditEvent.objects.filter(action="approval.sign_in_required").count() == 1
    # a crafted POST (past CSRF) from whoever holds the forwarded link: refused and audited
    answer = Client().post(f"/a/{token}", {"outcome": "approved"})
    assert answer.status_code == 403
    assert AuditEvent.objects.filter(action="approval.sign_in_required").count() == 2
    task.refresh_from_db()
    assert task.state == "open"
    signed_in = Client(enforce_csrf_checks=True)
    signed_in.force_login(raj)
    assert post(signed_in, token, "approved").status_code == 200
    task.refresh_from_db()
    assert task.state == "decided" and task.decided_by == raj


FIELDS = [
    {"key": "ticket", "label": "Change ticket", "type": "text", "required": True},
    {"key": "days", "label": "For how many days", "type": "number"},
    {"key": "scope", "label": "Scope", "type": "choice", "choices": ["read", "write"]},
    {"key": "urgent", "label": "Urgent", "type": "boolean"},
]


def test_input_fields_are_asked_checked_and_reach_the_context(raj) -> None:
    """The block's `fields`: the page asks for them; a missing required one or a wrong type is
    refused naming the field and decides nothing; the values reach the block's key."""
    run, task = waiting_run(fields=FIELDS)
    token = emailed_link(task)
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/a/{token}").content.decode()
    for name in ("field_ticket", "field_days", "field_scope", "field_urgent"):
        assert f'name="{name}"' in page
    csrf = CSRF.search(page).group(1)  # type: ignore[union-attr]

    def decide(**fields: str) -> Any:
        data = {"outcome": "approved", "csrfmiddlewaretoken": csrf}
        data.update({f"field_{k}": v for k, v in fields.items()})
        return client.post(f"/a/{token}", data)

    missing = decide(days="3")
    assert missing.status_code == 409 and "Change ticket is required." in missing.content.decode()
    wrong = decide(ticket="CHG-1", days="three")
    assert "For how many days must be a number" in wrong.content.decode()
    odd = decide(ticket="CHG-1", scope="admin")
    assert "Scope must be one of: read, write." in odd.content.decode()
    task.refresh_from_db()
    assert task.state == "open"  # nothing decided by the refusals

    accepted = decide(ticket=" CHG-1 ", days="3", scope="write", urgent="on", extra="dropped")
    assert accepted.status_code == 200, accepted.content.decode()[:500]
    perform(run)
    run.refresh_from_db()
    decision = run.context["ask"]
    assert {k: decision[k] for k in ("ticket", "days", "scope", "urgent")} == {
        "ticket": "CHG-1",
        "days": 3,
        "scope": "write",
        "urgent": True,
    }
    assert "extra" not in decision
