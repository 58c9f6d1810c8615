"""Trigger blocks: where a run starts. Walking one hands the run's event to the next block."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.engine.blocks.base import BlockType


class _Trigger(BlockType):
    kind = "trigger"

    def evaluate(
        self, compiled: Mapping[str, Any], variables: Mapping[str, Any]
    ) -> tuple[str, Any]:
        return "next", variables.get("event", {})


class ManualTrigger(_Trigger):
    name = "manual"
    label = "Run now"
    schema = {
        "type": "object",
        "properties": {"sample": {"type": "object"}},
        "additionalProperties": False,
    }


class ScheduleTrigger(_Trigger):
    name = "schedule"
    label = "Schedule"
    schema = {
        "type": "object",
        "properties": {
            "cron": {"type": "string", "minLength": 1},
            "timezone": {"type": "string", "minLength": 1},
        },
        "required": ["cron", "timezone"],
    }


class WebhookTrigger(_Trigger):
    name = "webhook"
    label = "Webhook"
    schema = {"type": "object"}
