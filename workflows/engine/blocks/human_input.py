"""Human-input blocks: hand a decision to a person; the run waits and resumes on an outcome."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.engine.blocks.base import WAIT, BlockType, Wait, evaluate_field
from workflows.engine.errors import ExpressionError

DEFAULT_OUTCOMES = [
    {"key": "approved", "label": "Approve"},
    {"key": "rejected", "label": "Reject"},
]
_DURATION = {
    "type": "object",
    "properties": {
        "amount": {"type": "number", "exclusiveMinimum": 0, "maximum": 10000},
        "unit": {"enum": ["hours", "business_hours", "business_days"]},
    },
    "required": ["amount", "unit"],
    "additionalProperties": False,
}


class Approval(BlockType):
    kind = "human_input"
    name = "approval"
    label = "Approval"
    effect = WAIT
    # who: "=expr" (e.g. "=event.worker.manager.email"), an address, "user:<name>", "group:<name>"
    value_fields = ("assignee", "title", "description", "instructions", "escalate_to", "subject")
    schema = {
        "type": "object",
        "properties": {
            "assignee": {"type": "string", "minLength": 1},
            "title": {"type": "string", "minLength": 1},
            "description": {"type": "string"},
            "instructions": {"type": "string"},
            "subject": {"type": "string"},
            "outcomes": {
                "type": "array",
                "minItems": 1,
                "maxItems": 8,
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,31}$"},
                        "label": {"type": "string", "minLength": 1, "maxLength": 60},
                    },
                    "required": ["key", "label"],
                    "additionalProperties": False,
                },
            },
            "fields": {  # input the approver fills in; the values reach the block's key
                "type": "array",
                "maxItems": 10,
                "items": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,31}$"},
                        "label": {"type": "string", "minLength": 1, "maxLength": 80},
                        "type": {"enum": ["text", "number", "boolean", "choice"]},
                        "required": {"type": "boolean"},
                        "choices": {
                            "type": "array",
                            "items": {"type": "string", "minLength": 1, "maxLength": 80},
                            "minItems": 1,
                            "maxItems": 20,
                        },
                    },
                    "required": ["key", "label", "type"],
                    "additionalProperties": False,
                },
            },
            "require_comment_to_reject": {"type": "boolean"},
            "require_sign_in": {"type": "boolean"},
            "due_in_business_hours": {"type": "integer", "minimum": 1, "maximum": 2000},
            "deadline": _DURATION,
            "calendar": {
                "type": "object",
                "properties": {
                    "zone": {"type": "string"},
                    "holidays": {"type": "string"},
                    "weekend": {"type": "array", "items": {"type": "integer"}},
                    "hours": {
                        "type": "array",
                        "items": {"type": "string"},
                        "minItems": 2,
                        "maxItems": 2,
                    },
                },
                "additionalProperties": False,
            },
            "reminders": {"type": "array", "items": _DURATION, "maxItems": 5},
            "escalate_to": {"type": "string"},
            "escalation": {"type": "array", "items": {"type": "string"}, "maxItems": 5},
            "max_escalations": {"type": "integer", "minimum": 0, "maximum": 5},
        },
        "required": ["assignee", "title"],
        "additionalProperties": False,
    }

    def compile(self, config: Mapping[str, Any]) -> dict[str, Any]:
        compiled = super().compile(config)
        # The chain is a list of values like `assignee`: compiled the same way, entry by entry.
        compiled["escalation"] = [
            super(Approval, self).compile({"escalate_to": item})["escalate_to"]
            for item in config.get("escalation", [])
        ]
        return compiled

    def outcomes(self, config: Mapping[str, Any]) -> list[dict[str, str]]:
        return list(config.get("outcomes") or DEFAULT_OUTCOMES)

    def required_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return (*(o["key"] for o in self.outcomes(config)), "timeout")

    def optional_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        return ()

    def wait(self, compiled: Mapping[str, Any], variables: Mapping[str, Any]) -> Wait:
        task = {
            name: evaluate_field(compiled, name, variables)
            for name in self.value_fields
            if name in compiled
        }
        chain = []
        for entry in compiled.get("escalation", []):
            try:
                chain.append(evaluate_field({"entry": entry}, "entry", variables))
            except ExpressionError:  # e.g. no manager's manager in the context: skip that level
                continue
        if task.get("escalate_to"):
            chain.insert(0, task["escalate_to"])
        task["escalation"] = [str(entry) for entry in chain if entry]
        if "subject" not in task:  # the person whose access this is, when the event names one
            event = variables.get("event")
            task["subject"] = event.get("user", "") if isinstance(event, Mapping) else ""
        task["due_in_business_hours"] = compiled.get("due_in_business_hours", 24)
        task["deadline"] = compiled.get("deadline") or {
            "amount": task["due_in_business_hours"],
            "unit": "business_hours",
        }
        task["calendar"] = dict(compiled.get("calendar") or {})
        task["reminders"] = list(compiled.get("reminders") or [])
        task["fields"] = [dict(field) for field in compiled.get("fields") or []]
        task["outcomes"] = self.outcomes(compiled)
        task["require_comment_to_reject"] = bool(compiled.get("require_comment_to_reject"))
        task["require_sign_in"] = bool(compiled.get("require_sign_in"))
        task["max_escalations"] = compiled.get("max_escalations", len(task["escalation"]))
        return Wait(task)
