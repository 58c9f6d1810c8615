"""The walk without a database: branch by expression, hand back calls, resume at a block."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.documents import block, document, edge, grant_by_department
from workflows.engine import runner
from workflows.engine.graph import Graph
from workflows.engine.program import compile_graph
from workflows.engine.runner import Failed, Finished, NeedsCall, NeedsWait

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


def clock() -> dt.datetime:
    return NOW


def program_of(doc: dict) -> runner.Program:  # type: ignore[name-defined]
    return compile_graph(Graph.from_document(doc))


@pytest.mark.parametrize(
    ("department", "block_key", "group"),
    [("Finance", "grant_finance", "Finance-Analysts"), ("Sales", "grant_default", "Staff")],
)
def test_branch_is_chosen_by_expression(department: str, block_key: str, group: str) -> None:
    program = program_of(grant_by_department())
    walk = runner.begin(
        program, context={"event": {"department": department, "user": "jo"}}, clock=clock
    )
    command = runner.advance(program, walk, clock=clock)
    assert isinstance(command, NeedsCall)
    assert command.block.key == block_key
    assert command.call.args == {"user": "jo", "group": group}
    assert [s.block.key for s in walk.steps] == ["start", "is_finance"]
    assert walk.context["is_finance"] == {"result": department == "Finance"}


def test_call_result_moves_on_and_finishes() -> None:
    program = program_of(grant_by_department())
    walk = runner.begin(
        program, context={"event": {"department": "Finance", "user": "jo"}}, clock=clock
    )
    command = runner.advance(program, walk, clock=clock)
    assert isinstance(command, NeedsCall)
    assert (
        runner.complete_call(
            program,
            walk,
            call=command.call,
            result={"outcome": "changed", "message": "ok"},
            started_at=NOW,
            clock=clock,
        )
        is None
    )
    assert isinstance(runner.advance(program, walk, clock=clock), Finished)
    assert [(s.seq, s.block.key, s.state) for s in walk.steps] == [
        (1, "start", "succeeded"),
        (2, "is_finance", "succeeded"),
        (3, "grant_finance", "succeeded"),
    ]


def test_failed_call_without_error_edge_fails_naming_the_block() -> None:
    program = program_of(grant_by_department())
    walk = runner.begin(
        program, context={"event": {"department": "Sales", "user": "jo"}}, clock=clock
    )
    command = runner.advance(program, walk, clock=clock)
    failed = runner.complete_call(
        program,
        walk,
        call=command.call,  # type: ignore[union-attr]
        result={"outcome": "failed_permanent", "message": "no such user"},
        started_at=NOW,
        clock=clock,
    )
    assert failed == Failed("grant_default", "no such user")


def test_resume_at_a_given_block_skips_what_came_before() -> None:
    program = program_of(grant_by_department())
    context = {"event": {"department": "Finance", "user": "jo"}, "is_finance": {"result": True}}
    walk = runner.begin(program, context=context, clock=clock, start_block="grant_finance")
    command = runner.advance(program, walk, clock=clock)
    assert isinstance(command, NeedsCall) and command.block.key == "grant_finance"
    assert walk.steps == []


def test_resume_after_a_decision_follows_the_outcome_edge() -> None:
    doc = document(
        "x",
        [
            block("start", "trigger", "manual"),
            block(
                "ask",
                "human_input",
                "approval",
                assignee="=event.manager",
                title="Grant {{ event.user }}?",
            ),
            block("yes", "logic", "set", values={"approved_by": "=ask.by"}),
            block("no", "logic", "noop"),
            block("late", "logic", "noop"),
        ],
        [
            edge("start", "ask"),
            edge("ask", "yes", "approved"),
            edge("ask", "no", "rejected"),
            edge("ask", "late", "timeout"),
        ],
    )
    program = program_of(doc)
    walk = runner.begin(program, context={"event": {"manager": "raj", "user": "jo"}}, clock=clock)
    waiting = runner.advance(program, walk, clock=clock)
    assert isinstance(waiting, NeedsWait)
    assert waiting.wait.task["assignee"] == "raj" and waiting.wait.task["title"] == "Grant jo?"
    resumed = runner.begin(
        program,
        context=walk.context,
        clock=clock,
        start_block="ask",
        resume_outcome="approved",
        resume_payload={"by": "raj"},
    )
    assert isinstance(runner.advance(program, resumed, clock=clock), Finished)
    assert resumed.context["yes"] == {"approved_by": "raj"}
    assert [s.block.key for s in resumed.steps] == ["ask", "yes"]


def test_expression_error_fails_the_block() -> None:
    program = program_of(grant_by_department())
    walk = runner.begin(program, context={"event": {"user": "jo"}}, clock=clock)
    failed = runner.advance(program, walk, clock=clock)
    assert isinstance(failed, Failed) and failed.block == "is_finance"
    assert "department" in failed.reason
    assert walk.steps[-1].state == "failed"


def test_now_is_passed_in_not_read() -> None:
    doc = document(
        "x",
        [
            block("start", "trigger", "manual"),
            block(
                "stamp", "logic", "set", values={"late": "=now > timestamp('2026-11-25T09:00:00Z')"}
            ),
        ],
        [edge("start", "stamp")],
    )
    program = program_of(doc)
    walk = runner.begin(program, context={"event": {}}, clock=clock)
    runner.advance(program, walk, clock=clock)
    assert walk.context["stamp"] == {"late": True}
