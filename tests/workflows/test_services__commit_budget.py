"""BENCHMARKS.md goal 0, as a count: at most 2 commits per execution for blocks that change
nothing outside, whatever their number, plus one per block that changes an external system."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.support.documents import block, document, edge, four_step
from tests.support.factories import journal_connector, published
from workflows.services.executions import execution_run
from workflows.services.runs import run_start

pytestmark = pytest.mark.django_db(transaction=True)


class CommitCounter:
    """Counts transactions as the database sees them: each atomic block's commit, and each
    statement run outside one (autocommit makes it its own transaction)."""

    def __init__(self) -> None:
        self.commits = 0

    def statement(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # BEGIN is SQLite's way into an atomic block, not a transaction of its own.
        if not connection.in_atomic_block and not sql.lstrip().upper().startswith("BEGIN"):
            self.commits += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_commits() -> Iterator[CommitCounter]:
    counter = CommitCounter()
    original = connection._commit

    def commit() -> None:
        counter.commits += 1
        original()

    connection._commit = commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(counter.statement):
            yield counter
    finally:
        connection._commit = original  # type: ignore[method-assign]


def noop_chain(length: int) -> dict[str, Any]:
    blocks = [block("start", "trigger", "manual")]
    blocks += [block(f"step_{i}", "logic", "set", values={"i": i}) for i in range(length)]
    blocks.append(block("check", "logic", "condition", expression="event.n > 0"))
    blocks += [block("yes", "logic", "noop"), block("no", "logic", "noop")]
    keys = [b["key"] for b in blocks[:-2]]
    edges = [edge(a, b) for a, b in itertools.pairwise(keys)]
    edges += [edge("check", "yes", "true"), edge("check", "no", "false")]
    return document(f"noop-{length}", blocks, edges)


@pytest.mark.parametrize("length", [3, 30])
def test_pure_blocks_cost_two_commits_whatever_their_number(length: int) -> None:
    version = published(noop_chain(length))
    run = run_start(workflow=version.workflow, input={"n": 1})
    execution = run.executions.get()
    with counting_commits() as counter:
        assert execution_run(execution_id=execution.pk) == "succeeded"
    assert execution.steps.count() == length + 3
    assert counter.commits == 2


def test_each_external_change_adds_one_commit(tmp_path: Path) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jo"})
    execution = run.executions.get()
    with counting_commits() as counter:
        assert execution_run(execution_id=execution.pk) == "succeeded"
    assert counter.commits == 2 + 2  # claim + final, and an intent before each of two actions
