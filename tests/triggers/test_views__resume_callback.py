"""`/hooks/resume/<token>/`: a signed callback resumes a waiting run at the outcome it names, once;
a second use, a forged or expired link, or an outcome the block does not have resumes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from tests.support.documents import ticket_sign_off
from tests.support.factories import published
from workflows.models import Run
from workflows.services.executions import execution_run
from workflows.services.runs import run_start
from workflows.services.triggers import resume_path

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_run() -> Run:
    """A run waiting at `sign_off` for an outside system (its ticket closing, say)."""
    version = published(ticket_sign_off())
    run = run_start(workflow=version.workflow, input={"user": "jane.doe"})
    assert execution_run(execution_id=run.executions.get().pk) == "waiting"
    run.refresh_from_db()
    return run


def test_a_callback_used_twice_resumes_once(client: Client, waiting_run: Run) -> None:
    url = resume_path(run_id=waiting_run.pk, block_key="sign_off")
    body = {"outcome": "approved", "payload": {"ticket": "CHG-1042"}}
    first = client.post(url, data=body, content_type="application/json")
    assert first.status_code == 202, first.json()
    execution = waiting_run.executions.get(number=2)
    assert first.json() == {"status": "resumed", "run": waiting_run.pk, "execution": execution.pk}
    assert (execution.start_block, execution.resume_outcome) == ("sign_off", "approved")
    assert execution.resume_payload == {"ticket": "CHG-1042"}

    again = client.post(url, data=body, content_type="application/json")
    assert again.status_code == 409
    assert "not waiting" in again.json()["error"]
    assert waiting_run.executions.count() == 2
    assert execution_run(execution_id=execution.pk) == "succeeded"
    steps = list(execution.steps.values_list("block_key", "outcome"))
    assert steps == [("sign_off", "approved"), ("granted", "next")]


def test_a_link_naming_its_outcome_needs_no_body(client: Client, waiting_run: Run) -> None:
    url = resume_path(run_id=waiting_run.pk, block_key="sign_off", outcome="rejected")
    assert client.post(url).status_code == 202
    assert waiting_run.executions.get(number=2).resume_outcome == "rejected"


@pytest.mark.parametrize(
    ("outcome", "status", "message"),
    [
        ("", 400, "name the outcome"),
        ("maybe", 400, "sign_off has no outcome 'maybe'"),
    ],
)
def test_a_callback_must_name_an_outcome_of_the_block(
    client: Client, waiting_run: Run, outcome: str, status: int, message: str
) -> None:
    url = resume_path(run_id=waiting_run.pk, block_key="sign_off")
    response = client.post(url, data={"outcome": outcome}, content_type="application/json")
    assert (response.status_code, message in response.json()["error"]) == (status, True)
    assert waiting_run.executions.count() == 1


def test_forged_and_expired_links_resume_nothing(client: Client, waiting_run: Run) -> None:
    url = resume_path(run_id=waiting_run.pk, block_key="sign_off", outcome="approved")
    forged = url.replace("/resume/", "/resume/x")
    assert client.post(forged).status_code == 404
    with time_machine.travel(datetime.now(UTC) + timedelta(days=31)):
        response = client.post(url)
    assert (response.status_code, response.json()["error"]) == (
        410,
        "this callback link has expired",
    )
    assert waiting_run.executions.count() == 1
