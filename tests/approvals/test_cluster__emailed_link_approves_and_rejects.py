"""Acceptance (issue 11), through a real qcluster and a real SMTP server (aiosmtpd): a run reaches
the approval block, the email arrives, the test follows its link (a GET decides nothing),
approves with the page's CSRF token, and the run resumes and succeeds; a second run is rejected
and follows the `rejected` edge."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from approvals.models import ApprovalTask
from tests.approvals.support import GRANT, grant_with_approval
from tests.connectors.servers import SmtpServer
from tests.support.cluster import Process, start_cluster, wait_until
from tests.support.factories import published
from workflows.models import Run
from workflows.services.runs import run_start

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.servers,
    pytest.mark.django_db(transaction=True),
]
LINK = re.compile(rb"http://testserver/a/([A-Za-z0-9_\-]{40,})")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def cluster(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[Process]:
    process = start_cluster(
        tmp_path,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=smtp_server.host,
        EMAIL_PORT=str(smtp_server.port),
        IDC_PUBLIC_URL="http://testserver",
    )
    yield process
    process.stop()


def emailed_token(smtp_server: SmtpServer, to: str, seen: set[bytes]) -> str:
    def arrived() -> Any:
        for envelope in smtp_server.messages:
            found = LINK.search(envelope.content)
            if to in envelope.rcpt_tos and found and found.group(1) not in seen:
                seen.add(found.group(1))
                return found.group(1).decode()
        return None

    return str(wait_until(arrived, 30, f"the approval email to {to}"))


def ended(run: Run) -> Run:
    def done() -> Run | None:
        run.refresh_from_db()
        return run if run.state in ("succeeded", "failed") else None

    result = wait_until(done, 30, f"run {run.pk} to end")
    assert isinstance(result, Run)
    return result


def decide(token: str, outcome: str, comment: str) -> None:
    client = Client(enforce_csrf_checks=True, HTTP_USER_AGENT="acceptance")
    page = client.get(f"/a/{token}")
    assert page.status_code == 200 and "Grant Finance-Analysts" in page.content.decode()
    assert ApprovalTask.objects.get(links__token_hash__isnull=False, state="open")  # GET: nothing
    csrf = CSRF.search(page.content.decode())
    assert csrf is not None
    answer = client.post(
        f"/a/{token}",
        {"outcome": outcome, "comment": comment, "csrfmiddlewaretoken": csrf.group(1)},
    )
    assert answer.status_code == 200, answer.content.decode()


def test_an_emailed_link_approves_one_run_and_rejects_another(
    cluster: Process, smtp_server: SmtpServer
) -> None:
    get_user_model().objects.create_user("raj", "raj@acme.example")
    version = published(grant_with_approval(slug="grant-acceptance"))
    seen: set[bytes] = set()

    run = run_start(workflow=version.workflow, input=GRANT)
    token = emailed_token(smtp_server, "raj@acme.example", seen)
    run.refresh_from_db()
    assert run.state == "waiting"
    decide(token, "approved", "ok for finance")
    run = ended(run)
    assert run.state == "succeeded" and run.context["granted"] == {"granted": True}
    assert run.context["ask"]["decided_by"] == "raj@acme.example"

    second = run_start(workflow=version.workflow, input={**GRANT, "user": "kim@acme.example"})
    token = emailed_token(smtp_server, "raj@acme.example", seen)
    decide(token, "rejected", "not in finance")
    second = ended(second)
    assert second.state == "succeeded" and second.context["refused"] == {"granted": False}
    assert "granted" not in second.context
    assert list(ApprovalTask.objects.order_by("pk").values_list("decision", flat=True)) == [
        "approved",
        "rejected",
    ]
