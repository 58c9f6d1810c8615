"""The builder's palette, read from the engine's block registry: a new block type shows up in
the canvas with its form and handles without any front-end change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.engine import blocks
from workflows.engine.blocks import BlockType
from workflows.engine.errors import GraphError

GROUPS = {
    "trigger": "Trigger",
    "action": "Action",
    "logic": "Logic",
    "integration": "Integration",
    "human_input": "Human input",
}


def outcomes(block_type: BlockType, config: Mapping[str, Any]) -> dict[str, list[str]]:
    """The handles a block with `config` has: required ones first (each must be wired)."""
    try:
        required = list(block_type.required_outcomes(config))
        optional = [o for o in block_type.optional_outcomes(config) if o not in required]
    except (TypeError, KeyError, AttributeError, ValueError):  # a half-typed config
        required, optional = [], []
    return {"outcomes": required + optional, "required_outcomes": required}


def connector_need(block_type: BlockType) -> dict[str, Any] | None:
    """Which connector field the block has and the operation it calls ("" when the config's
    `operation` field names it), so the side panel offers only connectors that support it."""
    refs = block_type.connector_refs({"connector": "", "operation": ""})
    if not refs:
        return None
    operation = refs[0][1]
    return {
        "field": "connector",
        "operation": operation,
        "operation_field": "" if operation else "operation",
    }


def describe(block_type: BlockType) -> dict[str, Any]:
    return {
        "kind": block_type.kind,
        "type": block_type.name,
        "label": block_type.label or block_type.name,
        "effect": block_type.effect,
        "schema": block_type.schema,
        **outcomes(block_type, {}),
        "expression_fields": list(block_type.expression_fields),
        "value_fields": list(block_type.value_fields),
        "connector": connector_need(block_type),
    }


def palette() -> list[dict[str, Any]]:
    types = blocks.all_types()
    return [
        {
            "kind": kind,
            "label": GROUPS.get(kind, kind.replace("_", " ").capitalize()),
            "types": [describe(t) for (k, _), t in sorted(types.items()) if k == kind],
        }
        for kind in blocks.KINDS
    ]


def find(kind: str, name: str) -> BlockType | None:
    try:
        return blocks.get(kind, name)
    except GraphError:
        return None
