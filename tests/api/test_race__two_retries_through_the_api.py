"""Two machine clients retry the same parked execution at the same instant through the API
(PostgreSQL, real row locks, one connection per thread): one 201, one 409 saying it was already
retried; one new execution, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import client_for, user_with
from tests.support.documents import four_step
from tests.support.factories import journal_connector, published
from tests.triggers.conftest import concurrently
from workflows.models import Execution
from workflows.services.executions import execution_run
from workflows.services.runs import run_start

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_two_retries_at_once_make_one_execution(tmp_path: Path) -> None:
    journal_connector(tmp_path, fail="permanent")
    run = run_start(workflow=published(four_step()).workflow, input={"type": "HIRE", "user": "jo"})
    execution = run.executions.get()
    assert execution_run(execution_id=execution.pk) == "parked"
    operators = [
        client_for(user_with(f"op{n}", ("workflows.view_workflow", "workflows.operate_execution")))
        for n in (1, 2)
    ]
    clients = iter(operators)

    def retry() -> tuple[int, str]:
        response = next(clients).post(f"/api/v1/executions/{execution.pk}/retry/")
        return response.status_code, response.json().get("detail", "")

    answers = sorted(concurrently(retry, 2))

    assert [status for status, _ in answers] == [201, 409], answers
    assert "already retried" in answers[1][1]
    assert Execution.objects.filter(retry_of=execution).count() == 1
