"""The execution window holds whatever a block runs: an expression over 60,000 items, a
connector that swallows the stop (it catches BaseException), a call stuck in C where no signal
handler runs, and a call that simply hangs. Each ends parked within window + 2 s, naming the
block; a worker that comes back later is fenced out and its result discarded."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from audit.models import AuditEvent
from idconfluence.conf import idc_settings
from tests.faults.support import latest, ledger, lost_executions, worker_pid
from tests.support.cluster import Process, wait_until
from tests.support.connector_types import journal_lines
from tests.support.documents import block, document, edge
from tests.support.factories import journal_connector, published
from workflows.services.runs import run_start

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
WINDOW = idc_settings.EXECUTION_WINDOW_SECONDS
C_ITERATIONS_PER_SECOND = 4_000_000  # PBKDF2-SHA256 on this kind of machine, measured


def one_call(slug: str) -> dict[str, Any]:
    return document(
        slug,
        [
            block("start", "trigger", "manual"),
            block(
                "grant",
                "action",
                "add_group_member",
                connector="journal",
                args={"user": "=event.user", "group": "Staff"},
            ),
        ],
        [edge("start", "grant")],
    )


def big_comprehension(slug: str) -> dict[str, Any]:
    """A target answers with 60,000 items (input that big is refused at intake; an answer is
    not), and a condition scans them."""
    return document(
        slug,
        [
            block("start", "trigger", "manual"),
            block(
                "fetch",
                "integration",
                "call",
                connector="journal",
                operation="get_user",
                args={"user": "=event.user"},
            ),
            block("scan", "logic", "condition", expression="fetch.data.items.exists(x, x == -1)"),
            block("found", "logic", "noop"),
            block("not_found", "logic", "noop"),
        ],
        [
            edge("start", "fetch"),
            edge("fetch", "scan"),
            edge("scan", "found", "true"),
            edge("scan", "not_found", "false"),
        ],
    )


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def elapsed(execution: Any) -> float:
    return float((execution.finished_at - execution.started_at).total_seconds())


def test_a_comprehension_over_60000_items_is_refused_before_it_runs(
    tmp_path: Path, cluster: Process
) -> None:
    journal_connector(tmp_path, answer_json=json.dumps({"items": list(range(60_000))}))
    version = published(big_comprehension("big-scan"))
    run = run_start(workflow=version.workflow, input={"user": "jo"})
    done = wait_until(lambda: latest(run, "parked", "succeeded"), 20, "the execution")
    assert done.state == "parked"
    assert done.failed_block == "scan"
    assert "60,000 items" in done.failure_reason
    assert elapsed(done) <= WINDOW + 2
    ledger(
        "CEL comprehension over 60,000 items", executions=1, lost=lost_executions(run), duplicated=0
    )


@pytest.mark.parametrize(
    ("fault", "config", "returns_after"),
    [
        ("connector catching BaseException (the stop)", {"swallow_stop": 2 * WINDOW}, 2 * WINDOW),
        (
            "call stuck in C, no signal handler runs",
            {"c_busy": int(2.5 * WINDOW * C_ITERATIONS_PER_SECOND)},
            2.5 * WINDOW,
        ),
        ("call that hangs (a socket that never answers)", {"sleep": 60}, 0),
    ],
    ids=["swallows-stop", "stuck-in-c", "hangs"],
)
def test_a_block_that_will_not_stop_is_parked_within_the_window_naming_it(
    tmp_path: Path, cluster: Process, fault: str, config: dict[str, Any], returns_after: float
) -> None:
    journal_connector(tmp_path, **config)
    version = published(one_call(f"wont-stop-{sorted(config)[0].replace('_', '-')}"))
    run = run_start(workflow=version.workflow, input={"user": "jo"})
    done = wait_until(lambda: latest(run, "parked", "succeeded"), WINDOW + 10, "parking")
    assert done.state == "parked"
    assert done.failed_block == "grant"
    assert done.failure_reason.startswith("execution window exceeded at step grant")
    assert elapsed(done) <= WINDOW + 2, elapsed(done)
    assert done.steps.get(block_key="grant").state == "unknown"
    if returns_after:  # the worker comes back from the block later: fenced out, not recorded
        pid = worker_pid(done)
        wait_until(
            lambda: AuditEvent.objects.filter(
                action="execution.result_discarded", execution_id=done.pk
            ).exists()
            or not alive(pid),  # on a loaded machine django-q2's backstop may kill it first
            4 * returns_after + 15,
            "the late worker to give up",
        )
        done.refresh_from_db()
        assert done.state == "parked"
    run.refresh_from_db()
    assert run.state == "failed"
    ledger(
        fault,
        executions=1,
        lost=lost_executions(run),
        duplicated=max(len(journal_lines(tmp_path / "journal.jsonl")) - 1, 0),
    )
