"""Logic blocks: decide the next block from the context, or shape the context. No side effects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.engine.blocks.base import BlockType, evaluate_field
from workflows.engine.errors import ExpressionError, StoppedForReview


class _Branch(BlockType):
    """A logic block that picks the next block: every outcome it can give must be wired."""

    kind = "logic"
    expression_fields = ("expression",)

    def optional_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ()


class Condition(_Branch):
    name = "condition"
    label = "If / else"
    schema = {
        "type": "object",
        "properties": {"expression": {"type": "string", "minLength": 1}},
        "required": ["expression"],
        "additionalProperties": False,
    }

    def required_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ("true", "false")

    def evaluate(
        self, compiled: Mapping[str, Any], variables: Mapping[str, Any]
    ) -> tuple[str, Any]:
        value = evaluate_field(compiled, "expression", variables)
        if not isinstance(value, bool):
            raise ExpressionError(f"condition must give true or false, gave {value!r}")
        return ("true" if value else "false"), {"result": value}


class Switch(_Branch):
    name = "switch"
    label = "Switch"
    schema = {
        "type": "object",
        "properties": {
            "expression": {"type": "string", "minLength": 1},
            "cases": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
                "minItems": 1,
                "uniqueItems": True,
            },
        },
        "required": ["expression", "cases"],
        "additionalProperties": False,
    }

    def required_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return (*config.get("cases", []), "default")

    def evaluate(
        self, compiled: Mapping[str, Any], variables: Mapping[str, Any]
    ) -> tuple[str, Any]:
        value = evaluate_field(compiled, "expression", variables)
        case = str(value) if str(value) in compiled["cases"] else "default"
        return case, {"value": value, "case": case}


class SetValues(BlockType):
    kind = "logic"
    name = "set"
    label = "Set values"
    value_fields = ("values",)
    schema = {
        "type": "object",
        "properties": {"values": {"type": "object"}},
        "required": ["values"],
        "additionalProperties": False,
    }

    def evaluate(
        self, compiled: Mapping[str, Any], variables: Mapping[str, Any]
    ) -> tuple[str, Any]:
        return "next", evaluate_field(compiled, "values", variables)


class NoOp(BlockType):
    kind = "logic"
    name = "noop"
    label = "Do nothing"
    schema = {"type": "object", "additionalProperties": False}

    def evaluate(
        self, compiled: Mapping[str, Any], variables: Mapping[str, Any]
    ) -> tuple[str, Any]:
        return "next", {}


class StopForReview(BlockType):
    """End the run in the review queue with a reason a person reads there (a compensation path's
    last block: "left without access"); an operator retries or handles it from the queue."""

    kind = "logic"
    name = "stop"
    label = "Stop for review"
    value_fields = ("reason",)
    schema = {
        "type": "object",
        "properties": {"reason": {"type": "string", "minLength": 1, "maxLength": 500}},
        "required": ["reason"],
        "additionalProperties": False,
    }

    def optional_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ()

    def evaluate(
        self, compiled: Mapping[str, Any], variables: Mapping[str, Any]
    ) -> tuple[str, Any]:
        raise StoppedForReview(str(evaluate_field(compiled, "reason", variables)))
