"""Workers that die or lose their database mid-execution: nothing is lost, nothing runs twice.

- SIGKILL during the second of two calls: the watchdog parks it naming that block, and "retry
  from the failed step" runs the second call with arguments taken from the first block's output
  (the checkpoint), without repeating the first call.
- `pg_terminate_backend` on the worker's connection while its call is in flight: the execution
  ends with the call's real outcome (on a new connection), not `running`.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from django.db import connection

from connectors.models import Connector
from idconfluence.conf import idc_settings
from tests.faults.support import backend_ports, latest, ledger, lost_executions, worker_pid
from tests.support.cluster import Process, wait_until
from tests.support.connector_types import journal_lines
from tests.support.documents import block, document, edge
from tests.support.factories import journal_connector, published
from workflows.services.runs import execution_retry, run_start
from workflows.services.sweeps import sweep_overdue

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
WINDOW = idc_settings.EXECUTION_WINDOW_SECONDS


def chained(slug: str, second: str) -> dict:
    """Two calls; the second's group is computed from the first block's output."""
    return document(
        slug,
        [
            block("start", "trigger", "manual"),
            block(
                "grant_a",
                "action",
                "add_group_member",
                connector="journal",
                args={"user": "=event.user", "group": "Staff"},
            ),
            block(
                "grant_b",
                "action",
                "add_group_member",
                connector=second,
                args={
                    "user": "=grant_a.data.args.user",
                    "group": "=grant_a.data.args.group + '-Approvers'",
                },
            ),
        ],
        [edge("start", "grant_a"), edge("grant_a", "grant_b")],
    )


def test_sigkill_during_the_second_call_then_retry_uses_the_first_calls_output(
    tmp_path: Path, cluster: Process
) -> None:
    journal_connector(tmp_path)
    journal_connector(tmp_path, name="slow", sleep=60)
    version = published(chained("killed-mid-chain", "slow"))
    run = run_start(workflow=version.workflow, input={"user": "jo"})
    execution = wait_until(lambda: latest(run, "running"), 20, "a running execution")
    wait_until(
        lambda: execution.steps.filter(block_key="grant_b", state="started").exists(),
        10,
        "the second call's intent",
    )
    os.kill(worker_pid(execution), signal.SIGKILL)
    wait_until(sweep_overdue, WINDOW + 15, "the watchdog's sweep to park it")
    execution.refresh_from_db()
    assert (execution.state, execution.failed_block) == ("parked", "grant_b")
    assert execution.failure_reason.startswith("execution window exceeded at step grant_b")
    assert execution.steps.get(block_key="grant_b").state == "unknown"  # may have been applied

    Connector.objects.filter(name="slow").update(config={"journal": str(tmp_path / "slow.jsonl")})
    retry = execution_retry(execution=execution, actor=None)
    done = wait_until(lambda: latest(run, "succeeded", "parked"), 20, "the retry")
    assert (done.pk, done.state) == (retry.pk, "succeeded"), done.failure_reason
    first_calls = journal_lines(tmp_path / "journal.jsonl")
    second_calls = journal_lines(tmp_path / "slow.jsonl")
    assert [(c["user"], c["group"]) for c in first_calls] == [("jo", "Staff")]  # not repeated
    assert [(c["user"], c["group"], c["reconcile"]) for c in second_calls] == [
        ("jo", "Staff-Approvers", True)
    ]
    assert second_calls[0]["key"] == f"idc-{run.pk}-grant_b"
    ledger(
        "worker SIGKILLed during its second call, then retried",
        executions=run.executions.count(),
        lost=lost_executions(run),
        duplicated=len(first_calls) - 1 + len(second_calls) - 1,
    )


def test_the_workers_connection_killed_during_a_call_still_records_the_calls_outcome(
    tmp_path: Path, cluster: Process
) -> None:
    journal_connector(tmp_path, name="journal")
    journal_connector(tmp_path, name="slowish", sleep=WINDOW / 3)
    version = published(chained("connection-killed", "slowish"))
    run = run_start(workflow=version.workflow, input={"user": "ann"})
    execution = wait_until(lambda: latest(run, "running"), 20, "a running execution")
    wait_until(
        lambda: execution.steps.filter(block_key="grant_b", state="started").exists(),
        10,
        "the second call's intent",
    )
    ports = backend_ports(worker_pid(execution))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE client_port = ANY(%s) AND pid <> pg_backend_pid()",
            [sorted(ports)],
        )
        killed = [row[0] for row in cursor.fetchall()]
    assert killed == [True]  # the worker's one connection, in the middle of its call
    done = wait_until(lambda: latest(run, "succeeded", "parked"), 20, "the execution to end")
    assert (done.pk, done.state) == (execution.pk, "succeeded"), done.failure_reason
    assert done.steps.get(block_key="grant_b").state == "succeeded"
    assert len(journal_lines(tmp_path / "slowish.jsonl")) == 1
    ledger(
        "worker's database connection killed during a call",
        executions=run.executions.count(),
        lost=lost_executions(run),
        duplicated=len(journal_lines(tmp_path / "slowish.jsonl")) - 1,
    )
