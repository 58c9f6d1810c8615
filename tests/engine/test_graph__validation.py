"""Publish-time validation, without a database: every problem named by its block."""

from __future__ import annotations

from tests.support.documents import block, document, edge, grant_by_department
from workflows.engine.graph import Graph
from workflows.engine.validate import validate

CONNECTORS = {"journal": frozenset({"add_group_member", "notify"})}


def issues_of(doc: dict) -> dict[str | None, list[str]]:
    grouped: dict[str | None, list[str]] = {}
    for issue in validate(Graph.from_document(doc), CONNECTORS):
        grouped.setdefault(issue.block, []).append(issue.message)
    return grouped


def test_a_valid_graph_has_no_issues() -> None:
    assert issues_of(grant_by_department()) == {}


def test_exactly_one_trigger_is_required() -> None:
    doc = document("x", [block("a", "logic", "noop")], [])
    assert any("exactly one trigger" in m for m in issues_of(doc)[None])
    doc = document("x", [block("a", "trigger", "manual"), block("b", "trigger", "manual")], [])
    assert "a, b" in issues_of(doc)[None][0]


def test_unreachable_blocks_and_cycles_are_named() -> None:
    doc = document(
        "x",
        [
            block("start", "trigger", "manual"),
            block("a", "logic", "noop"),
            block("b", "logic", "noop"),
            block("orphan", "logic", "noop"),
        ],
        [edge("start", "a"), edge("a", "b"), edge("b", "a")],
    )
    found = issues_of(doc)
    assert found["orphan"] == ["not reachable from the trigger"]
    assert any("cycle" in m for m in found["a"]) and any("cycle" in m for m in found["b"])


def test_every_outcome_of_logic_must_be_wired() -> None:
    doc = grant_by_department()
    doc["edges"] = [e for e in doc["edges"] if e["outcome"] != "false"]
    found = issues_of(doc)
    assert "outcome 'false' is not connected to a next block" in found["is_finance"]
    assert "not reachable from the trigger" in found["grant_default"]


def test_human_input_needs_all_three_outcomes() -> None:
    doc = document(
        "x",
        [
            block("start", "trigger", "manual"),
            block("ask", "human_input", "approval", assignee="=event.manager", title="Grant?"),
            block("yes", "logic", "noop"),
        ],
        [edge("start", "ask"), edge("ask", "yes", "approved")],
    )
    messages = issues_of(doc)["ask"]
    assert "outcome 'rejected' is not connected to a next block" in messages
    assert "outcome 'timeout' is not connected to a next block" in messages


def test_config_and_expression_errors_name_the_block_and_position() -> None:
    doc = grant_by_department()
    doc["blocks"][1]["config"]["expression"] = "event.department == "
    doc["blocks"][2]["config"]["args"].pop("group")
    found = issues_of(doc)
    assert "column 21" in found["is_finance"][0]
    assert "'group' is a required property" in found["grant_finance"][0]


def test_unknown_connector_or_unsupported_operation() -> None:
    doc = grant_by_department()
    doc["blocks"][2]["config"]["connector"] = "nowhere"
    found = validate(Graph.from_document(doc), {"journal": frozenset({"notify"})})
    messages = {(i.block, i.message) for i in found}
    assert ("grant_finance", "connector 'nowhere' does not exist") in messages
    assert ("grant_default", "connector 'journal' does not support 'add_group_member'") in messages


def test_unknown_block_type_and_wrong_outcome() -> None:
    doc = document(
        "x",
        [block("start", "trigger", "manual"), block("a", "logic", "teleport")],
        [edge("start", "a", "maybe")],
    )
    found = issues_of(doc)
    assert found["a"] == ["unknown block type logic/teleport"]
    assert "trigger/manual has no outcome 'maybe'" in found["start"]
