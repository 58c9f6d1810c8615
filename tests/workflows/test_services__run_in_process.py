"""Runs performed in this process (no cluster): steps, branches, parking, retry, dry run."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import connection

from idconfluence.conf import idc_settings
from tests.support.connector_types import journal_lines
from tests.support.documents import four_step
from tests.support.factories import journal_connector, perform, published
from workflows.models import Step
from workflows.services.executions import execution_run
from workflows.services.runs import NotRetryable, execution_retry, run_retrigger, run_start

pytestmark = pytest.mark.django_db(transaction=True)


def test_four_blocks_run_to_succeeded_with_four_steps(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jane.doe"})
    execution = perform(run)
    run.refresh_from_db()
    assert (execution.state, run.state) == ("succeeded", "succeeded")
    steps = list(execution.steps.values_list("block_key", "state", "outcome"))
    assert steps == [
        ("start", "succeeded", "next"),
        ("is_joiner", "succeeded", "true"),
        ("add_staff", "succeeded", "next"),
        ("notify", "succeeded", "next"),
    ]
    calls = journal_lines(tmp_path / "journal.jsonl")
    assert [c["op"] for c in calls] == ["add_group_member", "notify"]
    assert calls[1]["subject"] == "Joiner jane.doe"
    assert run.context["add_staff"]["outcome"] == "changed"


def test_a_duplicate_queue_message_does_nothing(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    execution = perform(run)
    assert execution_run(execution_id=execution.pk) == "skipped"
    assert len(journal_lines(tmp_path / "journal.jsonl")) == 2


def test_failed_step_parks_and_retry_after_fix_does_not_repeat_succeeded_steps(
    tmp_path: Path,
) -> None:
    connector = journal_connector(tmp_path)
    broken = journal_connector(tmp_path, name="mailer", fail="permanent")
    document = four_step()
    document["blocks"][3]["config"]["connector"] = "mailer"
    version = published(document)
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    parked = perform(run)
    assert parked.state == "parked"
    assert parked.failed_block == "notify"
    assert "step notify failed" in parked.failure_reason
    assert "tok-SECRET" not in parked.failure_reason  # the connector's secret is redacted
    run.refresh_from_db()
    assert run.state == "failed"

    broken.config = {"journal": str(tmp_path / "journal.jsonl")}  # the operator fixes the cause
    broken.save()
    retry = execution_retry(execution=parked, actor=None)
    assert retry.start_block == "notify"
    execution_run(execution_id=retry.pk)
    retry.refresh_from_db()
    run.refresh_from_db()
    assert (retry.state, run.state) == ("succeeded", "succeeded")
    assert list(retry.steps.values_list("block_key", flat=True)) == ["notify"]
    ops = [c["op"] for c in journal_lines(tmp_path / "journal.jsonl")]
    assert ops == ["add_group_member", "notify"]  # add_staff ran once, not twice
    parked.refresh_from_db()
    assert parked.state == "resolved"
    with pytest.raises(NotRetryable):
        execution_retry(execution=parked, actor=None)
    assert connector.pk


def test_retrigger_starts_a_new_run_with_the_same_input(tmp_path: Path) -> None:
    journal_connector(tmp_path, fail="retryable")
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    perform(run)
    new_run = run_retrigger(run=run, actor=None)
    assert new_run.input == run.input
    assert new_run.retriggered_from == run
    assert new_run.trigger_kind == "retrigger"
    assert new_run.executions.get().state == "queued"


def test_dry_run_evaluates_logic_and_sends_nothing(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"}, dry_run=True)
    execution = perform(run)
    assert execution.state == "succeeded"
    outputs = dict(execution.steps.values_list("block_key", "output"))
    assert outputs["add_staff"]["outcome"] == "would_change"
    assert "would add_group_member" in outputs["add_staff"]["message"]
    assert journal_lines(tmp_path / "journal.jsonl") == []


def test_steps_never_hold_secrets(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(
        workflow=version.workflow,
        input={"type": "HIRE", "user": "jo", "password": "hunter2-secret"},
    )
    perform(run)
    for step in Step.objects.all():
        assert "hunter2-secret" not in str(step.input) + str(step.output)
        assert "tok-SECRET" not in str(step.input) + str(step.output) + step.error


@pytest.mark.postgres
def test_a_stop_inside_a_database_query_still_parks_the_execution_at_once(tmp_path: Path) -> None:
    journal_connector(tmp_path, db_sleep=30)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    started = time.monotonic()
    execution = perform(run)
    assert time.monotonic() - started < idc_settings.EXECUTION_WINDOW_SECONDS + 2
    assert execution.state == "parked"
    assert execution.failure_reason == "execution window exceeded at step add_staff"
    with connection.cursor() as cursor:  # the abandoned query was cancelled, not left running
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
            "AND query LIKE 'SELECT pg_sleep%%' AND pid <> pg_backend_pid()"
        )
        assert cursor.fetchone()[0] == 0
