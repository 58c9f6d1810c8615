"""Issue 9: a value computed at run time that no target should get (a NUL from a CEL escape, an
infinity from a division by zero) fails its step before anything is sent, naming the argument;
so a step's recorded arguments are always exactly what was sent."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support.documents import block, document, edge
from workflows.engine import runner
from workflows.engine.graph import Graph
from workflows.engine.program import compile_graph
from workflows.engine.runner import Failed, NeedsCall

NOW = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)


def walk_to_call(args: dict[str, str]) -> tuple[runner.Walk, runner.Command]:
    doc = document(
        "odd-values",
        [
            block("start", "trigger", "manual"),
            block("grant", "action", "add_group_member", connector="journal", args=args),
        ],
        [edge("start", "grant")],
    )
    program = compile_graph(Graph.from_document(doc))
    walk = runner.begin(program, context={"event": {"user": "jo"}}, clock=lambda: NOW)
    return walk, runner.advance(program, walk, clock=lambda: NOW)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (
            {"user": '=event.user + "\\u0000admin"', "group": "Staff"},
            "argument args.user cannot be sent: ",
        ),
        (
            {"user": "=event.user", "group": "={'name': 'Staff', 'weight': 1.0 / 0.0}"},
            "argument args.group.weight cannot be sent: ",
        ),
    ],
)
def test_an_unsendable_argument_fails_the_step_before_the_call(
    args: dict[str, str], reason: str
) -> None:
    walk, command = walk_to_call(args)
    assert isinstance(command, Failed) and command.block == "grant"
    assert command.reason.startswith(reason), command.reason
    step = walk.steps[-1]
    assert (step.block.key, step.state, step.error) == ("grant", "failed", command.reason)
    assert step.input == {"connector": "journal", "operation": "add_group_member"}  # no args sent


def test_ordinary_arguments_are_handed_over_unchanged() -> None:
    _, command = walk_to_call({"user": '=event.user + "-x"', "group": "Staff"})
    assert isinstance(command, NeedsCall)
    assert command.call.args == {"user": "jo-x", "group": "Staff"}
