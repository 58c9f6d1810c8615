"""The `stop` block: a compensation path ends in the review queue with the reason it renders, and
the step before it stays recorded; a stop with no reason does not validate."""

from __future__ import annotations

import datetime as dt

from tests.support.documents import block, document, edge
from workflows.engine import blocks, runner
from workflows.engine.graph import Graph
from workflows.engine.program import compile_graph
from workflows.engine.runner import Failed

NOW = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)


def test_a_stop_block_fails_the_walk_with_its_rendered_reason() -> None:
    doc = document(
        "stopper",
        [
            block("start", "trigger", "manual"),
            block("note", "logic", "set", values={"who": "=event.user"}),
            block("stop", "logic", "stop", reason="{{ note.who }} was left without access"),
        ],
        [edge("start", "note"), edge("note", "stop")],
    )
    program = compile_graph(Graph.from_document(doc))
    walk = runner.begin(program, context={"event": {"user": "omar"}}, clock=lambda: NOW)
    command = runner.advance(program, walk, clock=lambda: NOW)
    assert command == Failed("stop", "omar was left without access")
    assert [(s.block.key, s.state) for s in walk.steps] == [
        ("start", "succeeded"),
        ("note", "succeeded"),
        ("stop", "failed"),
    ]


def test_a_stop_block_needs_a_reason() -> None:
    stop = blocks.get("logic", "stop")
    assert stop.config_errors({}) == ["config 'reason' is a required property"]
    assert stop.config_errors({"reason": "x"}) == []
