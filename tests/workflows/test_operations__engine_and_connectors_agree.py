"""The engine declares the action operations without importing the connectors app; both lists
must say the same, or a block could publish an operation no connector understands."""

from __future__ import annotations

from connectors.base import OPERATIONS, READ_ONLY_OPERATIONS
from workflows.engine.blocks.action import ACTION_OPERATIONS


def test_every_action_operation_is_a_connector_operation_with_the_same_arguments() -> None:
    assert {
        name: args for name, args in OPERATIONS.items() if name not in READ_ONLY_OPERATIONS
    } == ACTION_OPERATIONS
