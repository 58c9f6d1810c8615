"""Issue 9: whatever a target answers (NaN, a NUL, a lone surrogate, 1e400, 200 levels deep), the
execution ends normally and its steps are stored by the documented rule (see
idconfluence.redaction): no jsonb refusal in the final commit, no execution lost with its worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.connector_types import journal_lines
from tests.support.documents import four_step
from tests.support.factories import journal_connector, perform, published
from workflows.models import Step
from workflows.services.runs import run_start

pytestmark = pytest.mark.django_db

ANSWER = (
    '{"id": NaN, "na\\u0000me": "a\\u0000b", "odd": "x\\ud800y", "big": 1e400, "deep": '
    + "[" * 200
    + "]" * 200
    + "}"
)


def test_an_odd_answer_is_stored_by_the_rule_and_the_run_goes_on(tmp_path: Path) -> None:
    journal_connector(tmp_path, answer_json=ANSWER)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})

    execution = perform(run)

    assert execution.state == "succeeded", execution.failure_reason
    output = Step.objects.get(execution=execution, block_key="add_staff").output["data"]
    assert (output["id"], output["name"], output["odd"], output["big"]) == (
        "NaN",
        "ab",
        "x\ufffdy",
        "Infinity",
    )
    assert "[nested deeper than 64 levels: not kept]" in json.dumps(output["deep"])


def test_a_step_records_exactly_the_arguments_the_target_received(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "Zoë \u202e"})
    execution = perform(run)
    assert execution.state == "succeeded", execution.failure_reason
    received = journal_lines(tmp_path / "journal.jsonl")
    steps = Step.objects.filter(execution=execution, block_kind="action").order_by("seq")
    assert [s.input["args"] for s in steps] == [
        {k: v for k, v in line.items() if k not in {"op", "key", "reconcile"}} for line in received
    ]
