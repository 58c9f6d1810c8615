"""Issue 8: every state change of a run or execution writes exactly one audit event, in its
transaction, naming the workflow, the run and (where it concerns one) the execution."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Max

from audit.models import AuditEvent
from tests.support.connector_types import journal_lines
from tests.support.documents import four_step, ticket_sign_off
from tests.support.factories import journal_connector, published
from workflows.models import Execution, Run
from workflows.services.claim import execution_claim
from workflows.services.executions import _Performer, execution_run
from workflows.services.parking import execution_park_running
from workflows.services.runs import (
    NotRetryable,
    execution_resolve,
    execution_retry,
    run_cancel,
    run_resume,
    run_retrigger,
    run_start,
)

pytestmark = pytest.mark.django_db(transaction=True)
HIRE = {"type": "HIRE", "user": "jo"}


def appended(operation: Callable[[], Any]) -> tuple[Any, list[AuditEvent]]:
    """Run `operation`; return its result and the audit events it appended, in seq order."""
    before = AuditEvent.objects.aggregate(last=Max("seq"))["last"] or 0
    result = operation()
    return result, list(AuditEvent.objects.filter(seq__gt=before).order_by("seq"))


def actions(events: list[AuditEvent]) -> list[str]:
    return [event.action for event in events]


def assert_ties(events: list[AuditEvent], run: Run, execution: Execution | None) -> None:
    """Each event names the run's workflow and the run; an execution's event names it too."""
    for event in events:
        assert (event.workflow_id, event.run_id) == (run.workflow_id, run.pk), event.action
        if event.action.startswith(("execution.", "step.")):
            assert execution is not None
            assert event.execution_id == execution.pk, event.action


def first_execution(run: Run) -> Execution:
    return run.executions.get(number=1)


def parked_run(tmp_path: Path) -> tuple[Run, Execution]:
    journal_connector(tmp_path, fail="permanent")
    version = published(four_step())
    run = run_start(workflow=version.workflow, input=HIRE)
    execution = first_execution(run)
    assert execution_run(execution_id=execution.pk) == "parked"
    execution.refresh_from_db()
    run.refresh_from_db()
    return run, execution


def waiting_run() -> Run:
    version = published(ticket_sign_off())
    return run_start(workflow=version.workflow, input={"user": "jane.doe"})


def assert_chain_verifies() -> None:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().startswith("OK: "), out.getvalue()


def test_run_start_writes_run_started(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run, events = appended(lambda: run_start(workflow=version.workflow, input=HIRE))
    assert actions(events) == ["run.started"]
    assert_ties(events, run, None)
    assert events[0].execution_id == first_execution(run).pk
    assert_chain_verifies()


def test_a_walk_to_succeeded(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input=HIRE)
    execution = first_execution(run)
    state, events = appended(lambda: execution_run(execution_id=execution.pk))
    assert state == "succeeded"
    assert actions(events) == [
        "execution.started",
        "step.external_call",  # add_staff
        "step.external_call",  # notify
        "execution.succeeded",
        "run.succeeded",
    ]
    assert [e.details["block"] for e in events[1:3]] == ["add_staff", "notify"]
    assert_ties(events, run, execution)
    assert all(e.execution_id == execution.pk for e in events)
    assert_chain_verifies()


def test_a_worker_parks_its_execution(tmp_path: Path) -> None:
    journal_connector(tmp_path, fail="permanent")
    version = published(four_step())
    run = run_start(workflow=version.workflow, input=HIRE)
    execution = first_execution(run)
    state, events = appended(lambda: execution_run(execution_id=execution.pk))
    assert state == "parked"
    assert actions(events) == [
        "execution.started",
        "step.external_call",  # the refused add_staff call is audited too
        "execution.parked",
        "run.failed",
    ]
    assert events[1].details["outcome"] == "failed_permanent"
    assert_ties(events, run, execution)
    assert all(e.execution_id == execution.pk for e in events)
    assert_chain_verifies()


def test_the_watchdog_parks_a_running_execution(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input=HIRE)
    claim, claimed = appended(lambda: execution_claim(execution_id=first_execution(run).pk))
    assert claim is not None
    assert actions(claimed) == ["execution.started"]
    parked, events = appended(
        lambda: execution_park_running(
            execution_id=claim.execution.pk,
            why="worker lost: still running",
            actor_label="watchdog",
            grace_seconds=None,
        )
    )
    assert parked is True
    assert actions(events) == ["execution.parked", "run.failed"]
    assert_ties(events, run, claim.execution)
    assert all(e.workflow_id == run.workflow_id for e in events)
    assert all(e.execution_id == claim.execution.pk for e in events)
    assert all(e.actor_label == "watchdog" for e in events)
    run.refresh_from_db()
    assert (run.state, first_execution(run).state) == ("failed", "parked")
    assert_chain_verifies()


def test_retry(tmp_path: Path) -> None:
    run, parked = parked_run(tmp_path)
    retry, events = appended(lambda: execution_retry(execution=parked, actor=None))
    assert actions(events) == ["execution.resolved", "run.retried"]
    assert_ties(events, run, parked)
    assert events[1].execution_id == retry.pk  # the run event names the new execution
    assert events[1].details["retry_of"] == parked.pk
    assert_chain_verifies()


def test_retrigger(tmp_path: Path) -> None:
    run, parked = parked_run(tmp_path)
    new_run, events = appended(lambda: run_retrigger(run=run, actor=None))
    assert actions(events) == ["run.started", "execution.resolved"]
    assert_ties(events[:1], new_run, None)
    assert events[0].execution_id == first_execution(new_run).pk
    assert_ties(events[1:], run, parked)
    assert_chain_verifies()


def test_mark_handled(tmp_path: Path) -> None:
    run, parked = parked_run(tmp_path)
    _, events = appended(lambda: execution_resolve(execution=parked, actor=None))
    assert actions(events) == ["execution.resolved"]
    assert_ties(events, run, parked)
    run.refresh_from_db()
    assert run.state == "failed"  # the run's state did not change: no run event
    assert_chain_verifies()


def test_cancel_a_parked_run(tmp_path: Path) -> None:
    run, parked = parked_run(tmp_path)
    _, events = appended(lambda: run_cancel(run=run, actor=None))
    assert actions(events) == ["execution.cancelled", "run.cancelled"]
    assert_ties(events, run, parked)
    assert_chain_verifies()


def test_a_waiting_end_then_resume() -> None:
    run = waiting_run()
    waiting = first_execution(run)
    state, events = appended(lambda: execution_run(execution_id=waiting.pk))
    assert state == "waiting"
    assert actions(events) == [
        "execution.started",
        "execution.waiting",
        "run.waiting",
        "approval.opened",  # the task, in the same commit (issue 11)
    ]
    assert_ties(events, run, waiting)
    assert all(e.execution_id == waiting.pk for e in events)

    resumed, events = appended(
        lambda: run_resume(run=run, block_key="sign_off", outcome="approved")
    )
    assert actions(events) == ["execution.resumed", "run.resumed"]
    assert_ties(events, run, waiting)
    assert events[1].execution_id == resumed.pk
    assert_chain_verifies()


def test_a_fenced_out_worker_only_records_that_its_result_was_discarded(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input=HIRE)
    claim = execution_claim(execution_id=first_execution(run).pk)
    assert claim is not None
    assert execution_park_running(
        execution_id=claim.execution.pk,
        why="worker lost: still running",
        actor_label="watchdog",
        lease=claim.lease,
    )
    parked = Execution.objects.values().get(pk=claim.execution.pk)
    failed = Run.objects.values().get(pk=run.pk)

    outcome, events = appended(lambda: _Performer(claim).perform())
    assert outcome == "fenced_out"
    assert actions(events) == ["execution.result_discarded"]
    assert_ties(events, run, claim.execution)
    assert Execution.objects.values().get(pk=claim.execution.pk) == parked
    assert Run.objects.values().get(pk=run.pk) == failed
    assert (parked["state"], failed["state"]) == ("parked", "failed")
    assert not claim.execution.steps.exists()
    assert journal_lines(tmp_path / "journal.jsonl") == []  # fenced before its first call
    assert_chain_verifies()


def test_a_refused_operation_writes_nothing(tmp_path: Path) -> None:
    _, parked = parked_run(tmp_path)
    retry = execution_retry(execution=parked, actor=None)
    executions = list(Execution.objects.order_by("pk").values())
    runs = list(Run.objects.order_by("pk").values())

    def again() -> None:
        with pytest.raises(NotRetryable, match=f"already retried as execution {retry.pk}"):
            execution_retry(execution=parked, actor=None)

    _, events = appended(again)
    assert events == []
    assert list(Execution.objects.order_by("pk").values()) == executions
    assert list(Run.objects.order_by("pk").values()) == runs
    assert_chain_verifies()
