"""Run now's input when the trigger declares no sample: the event paths the workflow reads, with
plausible values, so the run walks instead of failing on `{}`; a declared sample wins."""

from __future__ import annotations

from tests.console_newuser.support import demo_document
from tests.support.documents import block, document, edge
from workflows.engine.graph import Graph
from workflows.engine.program import compile_graph
from workflows.engine.samples import event_skeleton, placeholder


def test_the_skeleton_holds_every_event_path_the_workflow_reads() -> None:
    program = compile_graph(Graph.from_document(demo_document()))
    assert event_skeleton(program) == {
        "worker": {
            "userName": "jane.doe",
            "riskScore": 0,
            "manager": {"email": "jane.doe@acme.example"},
            "organization": {"name": "example name"},
        }
    }


def test_templates_conditions_and_nested_values_are_read() -> None:
    doc = document(
        "t",
        [
            block("start", "trigger", "manual"),
            block(
                "check",
                "logic",
                "condition",
                expression="event.isContractor && size(event.groups) > 0",
            ),
            block(
                "mail",
                "action",
                "notify",
                connector="c",
                args={
                    "to": "=event.manager.mail",
                    "subject": "Hi {{ event.name.first }}",
                    "body": "x",
                },
            ),
        ],
        [edge("start", "check"), edge("check", "mail", "true")],
    )
    sample = event_skeleton(compile_graph(Graph.from_document(doc)))
    assert sample == {
        "isContractor": False,
        "groups": [],
        "manager": {"mail": "jane.doe@acme.example"},
        "name": {"first": "Jane"},
    }
    assert placeholder("startDate") == "2026-12-01"
