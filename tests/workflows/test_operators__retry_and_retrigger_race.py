"""Two operators act on the same parked execution at the same moment: one wins, the other gets a
refusal that says what happened, never a deadlock, a database error or two live executions of
one run (PostgreSQL: real row locks, one connection per thread)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client

from audit.models import AuditEvent
from tests.faults.support import ledger
from tests.support.documents import four_step
from tests.support.factories import admin_user, journal_connector, published
from workflows.models import Execution, Run, Workflow
from workflows.services.executions import execution_run
from workflows.services.runs import (
    NotRetryable,
    execution_retry,
    run_cancel,
    run_retrigger,
    run_start,
)
from workflows.status import LIVE_EXECUTION_STATES

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]
QUEUE = "/admin/workflows/parkedexecution/"
REFUSAL = re.compile(
    r"already retried as execution \d+|already re-triggered as run \d+"
    r"|is running; only a failed or cancelled run can be re-triggered"
)


@pytest.fixture
def workflow(tmp_path: Path) -> Workflow:
    journal_connector(tmp_path, fail="permanent")
    return published(four_step()).workflow


def parked(workflow: Workflow, user: str = "jo") -> Execution:
    run = run_start(workflow=workflow, input={"type": "HIRE", "user": user})
    execution = run.executions.get()
    assert execution_run(execution_id=execution.pk) == "parked"
    execution.refresh_from_db()
    return execution


def at_once(*operations: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Each operation in its own thread (and connection), released together by a barrier;
    ("ok", result) or ("raised", exception) for each, in order."""
    barrier = threading.Barrier(len(operations))
    outcomes: list[tuple[str, Any]] = [("missing", None)] * len(operations)

    def worker(index: int, operation: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", operation())
        except BaseException as exc:  # everything is reported, nothing is lost in the thread
            outcomes[index] = ("raised", exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=worker, args=(i, op), daemon=True)
        for i, op in enumerate(operations)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
        assert not thread.is_alive(), "an operation never returned (deadlock?)"
    return outcomes


def live_executions(run_id: int) -> list[int]:
    return list(
        Execution.objects.filter(run_id=run_id, state__in=LIVE_EXECUTION_STATES).values_list(
            "pk", flat=True
        )
    )


def the_refusal(outcomes: list[tuple[str, Any]]) -> NotRetryable:
    kinds = [kind for kind, _ in outcomes]
    assert sorted(kinds) == ["ok", "raised"], outcomes
    error = next(value for kind, value in outcomes if kind == "raised")
    assert type(error) is NotRetryable, repr(error)  # no OperationalError, IntegrityError, ...
    return error


def test_retry_and_retrigger_at_once_fifty_times(workflow: Workflow) -> None:
    winners = {"retry": 0, "retrigger": 0}
    for round_ in range(50):
        execution = parked(workflow, user=f"jo{round_}")
        run = execution.run
        outcomes = at_once(
            partial(execution_retry, execution=execution, actor=None),
            partial(run_retrigger, run=run, actor=None),
        )
        error = the_refusal(outcomes)
        assert REFUSAL.search(str(error)), str(error)
        execution.refresh_from_db()
        assert execution.state == "resolved"
        live = live_executions(run.pk)
        assert len(live) <= 1, live
        if outcomes[0][0] == "ok":
            winners["retry"] += 1
            retry = outcomes[0][1]
            assert live == [retry.pk]
            assert not Run.objects.filter(retriggered_from=run).exists()
            assert f"run {run.pk} is running; only a failed or cancelled run" in str(error)
        else:
            winners["retrigger"] += 1
            new_run = outcomes[1][1]
            assert live == []
            assert live_executions(new_run.pk) == [new_run.executions.get().pk]
            assert not execution.retries.exists()
            assert f"already re-triggered as run {new_run.pk}" in str(error)
    assert sum(winners.values()) == 50, winners
    ledger(
        f"retry and re-trigger raced 50 times ({winners['retry']}/{winners['retrigger']} won)",
        executions=50,
        lost=0,  # every round left exactly one way forward, asserted above
        duplicated=0,  # never two live executions of one run, asserted above
    )


def test_two_retries_at_once_twenty_times(workflow: Workflow) -> None:
    for round_ in range(20):
        execution = parked(workflow, user=f"ann{round_}")
        outcomes = at_once(*[partial(execution_retry, execution=execution, actor=None)] * 2)
        error = the_refusal(outcomes)
        retry = next(value for kind, value in outcomes if kind == "ok")
        assert f"execution {execution.pk} was already retried as execution {retry.pk}" in str(error)
        assert live_executions(execution.run_id) == [retry.pk]
        assert execution.retries.count() == 1


def test_retry_after_a_cancel_is_refused(workflow: Workflow) -> None:
    execution = parked(workflow)
    run_cancel(run=execution.run, actor=None)
    with pytest.raises(NotRetryable, match=f"execution {execution.pk} is cancelled, not parked"):
        execution_retry(execution=execution, actor=None)
    assert live_executions(execution.run_id) == []
    assert Execution.objects.count() == 1


def stale_retry(workflow: Workflow, page: str) -> tuple[Execution, list[str]]:
    """Post "Retry from the failed step" for an execution someone retried a moment earlier;
    the messages shown, after asserting the post created nothing and audited nothing."""
    execution = parked(workflow)
    retry = execution_retry(execution=execution, actor=None)  # the other operator, earlier
    client = Client()
    client.force_login(admin_user())
    executions, events = Execution.objects.count(), AuditEvent.objects.count()
    if page == QUEUE:  # the queue shows the count first; the stale click is the confirmation
        response = client.post(f"{QUEUE}act/retry/", {"ids": execution.pk, "confirm": "yes"})
    else:
        response = client.post(
            page, {"action": "retry_from_failed_step", "_selected_action": [execution.pk]}
        )
    assert response.status_code in (200, 302)
    assert Execution.objects.count() == executions
    assert AuditEvent.objects.count() == events
    assert execution.retries.get() == retry
    return retry, [str(message) for message in get_messages(response.wsgi_request)]


def test_a_stale_executions_page_shows_the_refusal_and_creates_nothing(
    workflow: Workflow,
) -> None:
    retry, shown = stale_retry(workflow, "/admin/workflows/execution/")
    assert any(f"already retried as execution {retry.pk}" in text for text in shown), shown


def test_a_stale_review_queue_page_shows_the_refusal_and_creates_nothing(
    workflow: Workflow,
) -> None:
    retry, shown = stale_retry(workflow, QUEUE)
    assert any(f"already retried as execution {retry.pk}" in text for text in shown), shown
