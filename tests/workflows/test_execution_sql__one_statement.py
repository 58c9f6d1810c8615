"""Issue 10, the lean write path on PostgreSQL with the audit sequencer on (as in production): a
claim and a finish are one statement each, yet the promises hold when attacked. A row another
worker holds is skipped, not waited for; a fenced-out finish writes nothing at all, its audit
events included; a changed or disabled connector is used as it is now, not as cached."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from audit.chain import verify_chain
from audit.models import AuditEvent, PendingAuditEvent
from audit.sequencer import audit_seal_all
from connectors.models import Connector
from tests.support.connector_types import journal_lines
from tests.support.documents import four_step
from tests.support.factories import journal_connector, published
from tests.workflows.test_services__commit_budget import counting_commits, noop_chain
from workflows import tasks
from workflows.models import Execution, Run
from workflows.services.claim import execution_claim
from workflows.services.executions import _Performer, execution_run
from workflows.services.parking import execution_park_running
from workflows.services.runs import run_start

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
HIRE = {"type": "HIRE", "user": "jo"}


@pytest.fixture(autouse=True)
def sequenced(settings: Any) -> Iterator[None]:
    settings.IDCONFLUENCE = {**settings.IDCONFLUENCE, "AUDIT_SEQUENCER": True}
    yield


def pending_actions(execution_id: int) -> list[str]:
    return list(
        PendingAuditEvent.objects.filter(execution_id=execution_id)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_a_batch_costs_two_commits_an_execution_and_its_events_seal_into_a_chain() -> None:
    version = published(noop_chain(5))
    ids = [
        run_start(workflow=version.workflow, input={"n": n}).executions.get().pk for n in range(3)
    ]
    statements: list[str] = []

    def seen(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql.split(None, 1)[0].upper())
        return execute(sql, params, many, context)

    with counting_commits() as counter, connection.execute_wrapper(seen):
        summary = tasks.execute_many(ids)
    assert summary == "3 succeeded"
    assert counter.commits == 2 * len(ids)  # the batch's read shares the first claim's commit
    assert statements.count("WITH") == 2 * len(ids)  # each claim and each finish: one statement
    for pk in ids:
        assert pending_actions(pk) == [
            "run.started",
            "execution.started",
            "execution.succeeded",
            "run.succeeded",
        ]
        steps = Execution.objects.get(pk=pk).steps.count()
        assert steps == 1 + 5 + 2  # the trigger, the chain, the check and one branch

    assert audit_seal_all() > 0
    assert not PendingAuditEvent.objects.exists()
    assert verify_chain().ok
    sealed = AuditEvent.objects.filter(execution_id__in=ids, action="execution.succeeded")
    assert sealed.count() == len(ids)


def test_a_claim_skips_an_execution_another_worker_holds_and_writes_nothing() -> None:
    version = published(noop_chain(3))
    execution = run_start(workflow=version.workflow, input={"n": 1}).executions.get()
    locked, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                Execution.objects.select_for_update().get(pk=execution.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=other_worker)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        assert execution_claim(execution_id=execution.pk) is None
        assert time.monotonic() - started < 1.0  # skipped, not waited for
        assert pending_actions(execution.pk) == ["run.started"]  # nothing of a claim
    finally:
        release.set()
        holder.join()
    execution.refresh_from_db()
    assert (execution.state, execution.lease) == ("queued", 0)
    assert execution_run(execution_id=execution.pk) == "succeeded"  # once the lock is gone


def test_a_fenced_out_finish_writes_no_step_no_run_state_and_no_event_of_its_own() -> None:
    version = published(noop_chain(3))
    run = run_start(workflow=version.workflow, input={"n": 1})
    claim = execution_claim(execution_id=run.executions.get().pk)
    assert claim is not None
    assert execution_park_running(
        execution_id=claim.execution.pk,
        why="worker lost: still running",
        actor_label="watchdog",
        lease=claim.lease,
    )
    parked = Execution.objects.values().get(pk=claim.execution.pk)
    failed = Run.objects.values().get(pk=run.pk)
    before = pending_actions(claim.execution.pk)

    assert _Performer(claim).perform() == "fenced_out"

    assert Execution.objects.values().get(pk=claim.execution.pk) == parked
    assert Run.objects.values().get(pk=run.pk) == failed
    assert not claim.execution.steps.exists()
    assert pending_actions(claim.execution.pk) == [*before, "execution.result_discarded"]


def test_a_connector_changed_or_disabled_between_executions_is_used_as_it_is_now(
    tmp_path: Path,
) -> None:
    connector = journal_connector(tmp_path)
    version = published(four_step())
    first = run_start(workflow=version.workflow, input=HIRE).executions.get()
    assert execution_run(execution_id=first.pk) == "succeeded"
    assert len(journal_lines(tmp_path / "journal.jsonl")) == 2

    connector.config = {**connector.config, "journal": str(tmp_path / "moved.jsonl")}
    connector.save()
    second = run_start(workflow=version.workflow, input={**HIRE, "user": "al"}).executions.get()
    assert execution_run(execution_id=second.pk) == "succeeded"
    assert len(journal_lines(tmp_path / "journal.jsonl")) == 2  # the old instance was not reused
    assert len(journal_lines(tmp_path / "moved.jsonl")) == 2

    Connector.objects.filter(pk=connector.pk).update(enabled=False)  # no save(): no signal
    third = run_start(workflow=version.workflow, input={**HIRE, "user": "ed"}).executions.get()
    assert execution_run(execution_id=third.pk) == "parked"
    third.refresh_from_db()
    assert "disabled" in third.failure_reason
    assert len(journal_lines(tmp_path / "moved.jsonl")) == 2
