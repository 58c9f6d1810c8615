"""Trigger blocks: where a run starts. Walking one hands the run's event to the next block.

The schedule and webhook types also carry what their ingress needs: a schedule's cron, zone and
calendar (see engine/schedule.py), and a webhook's authentication mode, filter, idempotency key
and payload mapping, applied by `WebhookTrigger.receive` before a run exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflows.engine.blocks.base import BlockType, evaluate_field
from workflows.engine.errors import ExpressionError
from workflows.engine.schedule import schedule_errors

SAMPLE = {"type": "object", "description": "an example input, pre-filled by Run now"}
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


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
        "properties": {"sample": SAMPLE},
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
            "start_date": {"type": "string", "description": "first local day, YYYY-MM-DD"},
            "end_date": {"type": "string", "description": "last local day, YYYY-MM-DD"},
            "calendar": {
                "type": "object",
                "properties": {
                    "skip_weekends": {"type": "boolean"},
                    "holidays": {"type": "string", "description": "NYSE, XLON, US, US-NY, ..."},
                    "early_close": {
                        "type": "string",
                        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
                        "description": "HH:MM; on the holidays' half days, later times fire then",
                    },
                },
                "additionalProperties": False,
            },
            "max_lateness_minutes": {"type": "integer", "minimum": 1, "maximum": 10080},
            "sample": SAMPLE,
        },
        "required": ["cron", "timezone"],
        "additionalProperties": False,
    }

    def config_errors(self, config: Mapping[str, Any]) -> list[str]:
        errors = super().config_errors(config)
        return errors or [f"config {message}" for message in schedule_errors(config)]


@dataclass(frozen=True)
class Received:
    """A delivery seen through the trigger: the run's event (None when the filter turned it
    away) and the payload's idempotency key ("" when the trigger does not name one)."""

    event: dict[str, Any] | None
    key: str


class WebhookTrigger(_Trigger):
    name = "webhook"
    label = "Webhook"
    expression_fields = ("filter", "idempotency_key")
    value_fields = ("mapping",)
    schema = {
        "type": "object",
        "properties": {
            "auth": {
                "type": "object",
                "properties": {
                    "mode": {"enum": ["standard", "header", "basic"]},
                    "header": {"type": "string", "pattern": "^[A-Za-z0-9-]+$"},
                    "username": {"type": "string", "minLength": 1},
                },
                "additionalProperties": False,
            },
            "filter": {"type": "string", "minLength": 1},
            "idempotency_key": {"type": "string", "minLength": 1},
            "mapping": {"type": "object"},
            "max_body_bytes": {"type": "integer", "minimum": 1024, "maximum": 16 * 1024 * 1024},
            "sample": SAMPLE,
        },
        "additionalProperties": False,
    }

    def config_errors(self, config: Mapping[str, Any]) -> list[str]:
        errors = super().config_errors(config)
        auth = config.get("auth") or {}
        if auth.get("mode") == "header" and not auth.get("header"):
            errors.append("config auth: mode 'header' needs the header's name")
        if auth.get("mode") == "basic" and not auth.get("username"):
            errors.append("config auth: mode 'basic' needs a username")
        if not errors and "sample" in config:
            try:
                received = self.receive(self.compile(config), config["sample"])
            except ExpressionError as exc:
                errors.append(f"config sample: the trigger cannot read its own sample: {exc}")
            else:
                if received.event is None:
                    errors.append("config sample: the filter turns the sample payload away")
        return errors

    def receive(self, compiled: Mapping[str, Any], payload: Any) -> Received:
        """Filter, key and map one sender payload; raises ExpressionError naming the field."""
        variables = {"payload": payload}
        if "filter" in compiled:
            verdict = evaluate_field(compiled, "filter", variables)
            if not isinstance(verdict, bool):
                raise ExpressionError(f"filter: gave {verdict!r}, not true or false")
            if not verdict:
                return Received(None, "")
        key = ""
        if "idempotency_key" in compiled:
            value = evaluate_field(compiled, "idempotency_key", variables)
            if value in (None, ""):
                raise ExpressionError("idempotency_key: the payload has no value for it")
            key = str(value)[:255]
        if "mapping" in compiled:
            return Received(evaluate_field(compiled, "mapping", variables), key)
        if not isinstance(payload, dict):
            raise ExpressionError("the payload is not a JSON object; map it with `mapping`")
        return Received(dict(payload), key)

    @staticmethod
    def max_body_bytes(config: Mapping[str, Any]) -> int:
        return int(config.get("max_body_bytes") or DEFAULT_MAX_BODY_BYTES)

    @staticmethod
    def auth(config: Mapping[str, Any]) -> dict[str, str]:
        return {"mode": "standard", **(config.get("auth") or {})}
