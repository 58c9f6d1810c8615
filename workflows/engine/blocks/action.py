"""Action blocks: change access in an external system through a configured connector.

Every identity operation is one block type with the same shape: a connector name and the
operation's arguments, each a literal, an "=expression" or a "{{ template }}".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.engine.blocks.base import CALL, BlockType, Call, evaluate_field

# Operation -> the arguments it needs (mirrors connectors.base.OPERATIONS; the engine may not
# import the connectors app, and a test checks the two agree).
ACTION_OPERATIONS: dict[str, tuple[str, ...]] = {
    "provision_access": ("user", "resource"),
    "revoke_access": ("user", "resource"),
    "assign_role": ("user", "role"),
    "remove_role": ("user", "role"),
    "add_group_member": ("user", "group"),
    "remove_group_member": ("user", "group"),
    "remove_all_groups": ("user",),
    "notify": ("to", "subject", "body"),
}


def _args_schema(arg_names: tuple[str, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {name: {} for name in arg_names},
        "required": list(arg_names),
        "additionalProperties": False,
    }


class _ConnectorBlock(BlockType):
    effect = CALL
    value_fields = ("args",)

    def operation(self, config: Mapping[str, Any]) -> str:
        return self.name

    def connector_refs(self, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        return [(str(config.get("connector", "")), self.operation(config))]

    def optional_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ("next", "error")

    def call(self, compiled: Mapping[str, Any], variables: Mapping[str, Any]) -> Call:
        args = evaluate_field(compiled, "args", variables) or {}
        return Call(str(compiled["connector"]), self.operation(compiled), dict(args))


class Action(_ConnectorBlock):
    kind = "action"

    def __init__(self, operation: str) -> None:
        self.name = operation  # type: ignore[misc]
        self.label = operation.replace("_", " ").capitalize()  # type: ignore[misc]
        self.schema = {  # type: ignore[misc]
            "type": "object",
            "properties": {
                "connector": {"type": "string", "minLength": 1},
                "args": _args_schema(ACTION_OPERATIONS[operation]),
            },
            "required": ["connector", "args"],
            "additionalProperties": False,
        }


class ConnectorCall(_ConnectorBlock):
    """Integration: call any connector operation and bring its data back into the context."""

    kind = "integration"
    name = "call"
    label = "Call a connector"
    schema = {
        "type": "object",
        "properties": {
            "connector": {"type": "string", "minLength": 1},
            "operation": {"type": "string", "minLength": 1},
            "args": {"type": "object"},
        },
        "required": ["connector", "operation"],
        "additionalProperties": False,
    }

    def operation(self, config: Mapping[str, Any]) -> str:
        return str(config.get("operation", ""))
