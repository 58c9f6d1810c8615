"""Human-input blocks: hand a decision to a person; the run waits and resumes on an outcome."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.engine.blocks.base import WAIT, BlockType, Wait, evaluate_field


class Approval(BlockType):
    kind = "human_input"
    name = "approval"
    label = "Approval"
    effect = WAIT
    value_fields = ("assignee", "title", "description", "escalate_to")
    schema = {
        "type": "object",
        "properties": {
            "assignee": {"type": "string", "minLength": 1},
            "title": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "due_in_business_hours": {"type": "integer", "minimum": 1, "maximum": 2000},
            "escalate_to": {"type": "string"},
        },
        "required": ["assignee", "title"],
        "additionalProperties": False,
    }

    def required_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ("approved", "rejected", "timeout")

    def optional_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ()

    def wait(self, compiled: Mapping[str, Any], variables: Mapping[str, Any]) -> Wait:
        task = {
            name: evaluate_field(compiled, name, variables)
            for name in self.value_fields
            if name in compiled
        }
        task["due_in_business_hours"] = compiled.get("due_in_business_hours", 24)
        return Wait(task)
