"""The diff of two documents names exactly what changed: blocks, edges, config fields."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from workflows.diff import ADDED, CHANGED, REMOVED, FieldChange, diff_documents

JOINER = json.loads(
    (Path(__file__).resolve().parents[2] / "workflows/demo/joiner.json").read_text()
)


def _joiner() -> dict[str, Any]:
    return copy.deepcopy(JOINER)


def _block(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(b for b in doc["blocks"] if b["key"] == key)


def test_identical_documents_have_no_changes() -> None:
    diff = diff_documents(_joiner(), _joiner())
    assert diff.is_empty()
    assert diff.changed_keys == set()


def test_every_kind_of_change_is_listed_exactly_once() -> None:
    old, new = _joiner(), _joiner()
    _block(new, "finance_group")["config"]["args"]["group"] = "Finance-Reporting"
    _block(new, "risky")["config"]["expression"] = "person.risk > 50"
    _block(new, "standard_tools")["label"] = "Productivity tools"
    _block(new, "done")["position"] = {"x": 1300, "y": -50}
    del _block(new, "person")["config"]["values"]["manager"]
    _block(new, "staff_group")["config"]["retries"] = 2
    new["blocks"] = [b for b in new["blocks"] if b["key"] != "flag_review"]
    new["blocks"].append(
        {
            "key": "alert",
            "kind": "action",
            "type": "notify",
            "config": {},
            "position": {"x": 0, "y": 0},
        }
    )
    new["edges"] = [e for e in new["edges"] if e["from"] != "risky" or e["outcome"] != "true"]
    new["edges"].append({"from": "risky", "to": "alert", "outcome": "true"})
    new["workflow"]["name"] = "Joiner v2"

    diff = diff_documents(old, new)

    assert [b["key"] for b in diff.blocks_added] == ["alert"]
    assert [b["key"] for b in diff.blocks_removed] == ["flag_review"]
    changed = {c.key: c.changes for c in diff.blocks_changed}
    assert changed == {
        "finance_group": (
            FieldChange("config.args.group", "Finance-Analysts", "Finance-Reporting", CHANGED),
        ),
        "risky": (FieldChange("config.expression", "person.risk > 30", "person.risk > 50"),),
        "standard_tools": (FieldChange("label", "Standard tools", "Productivity tools"),),
        "done": (FieldChange("position", {"x": 1200, "y": -50}, {"x": 1300, "y": -50}),),
        "person": (
            FieldChange("config.values.manager", "=event.worker.manager.email", None, REMOVED),
        ),
        "staff_group": (FieldChange("config.retries", None, 2, ADDED),),
    }
    assert diff.edges_added == ({"from": "risky", "to": "alert", "outcome": "true"},)
    assert diff.edges_removed == ({"from": "risky", "to": "flag_review", "outcome": "true"},)
    assert diff.workflow_changes == (
        FieldChange("workflow.name", "Joiner: standard access", "Joiner v2"),
    )
    assert diff.changed_keys == set(changed) | {"alert", "flag_review"}
    assert json.loads(json.dumps(diff.as_dict()))["blocks_changed"][0]["key"] == "done"


def test_null_true_and_one_are_not_the_same_value() -> None:
    old, new = _joiner(), _joiner()
    _block(old, "done")["config"] = {"a": 1, "b": None, "c": [1]}
    _block(new, "done")["config"] = {"a": True, "b": None, "c": [1.0]}
    (change,) = diff_documents(old, new).blocks_changed
    assert change.changes == (FieldChange("config.a", 1, True),)


def test_a_first_version_is_all_additions() -> None:
    diff = diff_documents(None, _joiner())
    assert len(diff.blocks_added) == len(JOINER["blocks"])
    assert len(diff.edges_added) == len(JOINER["edges"])
    assert not diff.blocks_removed and not diff.blocks_changed
