"""A block's config checked as it is saved in the console, by the same engine code that checks
it at publish: the type's schema, then its expressions compiled (CEL), each error next to the
field with its position, so a mistake never waits until publish to show up."""

from __future__ import annotations

from typing import Any

from django import forms

from idconfluence.forms import IntakeJSONField
from workflows.engine import blocks
from workflows.engine.errors import ExpressionError, GraphError
from workflows.models import Block


def config_problems(kind: str, type_name: str, config: Any) -> tuple[str, list[str]]:
    """("type" or "config", messages) for a block the engine would refuse; ("", []) if fine."""
    try:
        block_type = blocks.get(kind, type_name)
    except GraphError as exc:
        return "type", [str(exc)]
    if not isinstance(config, dict):
        return "config", ["The configuration must be a JSON object ({...})."]
    errors = block_type.config_errors(config)
    if errors:
        return "config", errors
    try:
        block_type.compile(config)
    except ExpressionError as exc:
        return "config", [str(exc)]  # names the field and the column
    return "", []


class BlockForm(forms.ModelForm):  # type: ignore[type-arg]
    config = IntakeJSONField(required=False, initial=dict)

    class Meta:
        model = Block
        fields = ["key", "kind", "type", "label", "config", "position_x", "position_y"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        kind, type_name = cleaned.get("kind"), cleaned.get("type")
        if not kind or not type_name or "config" in self.errors:
            return cleaned
        field, messages = config_problems(kind, type_name, cleaned.get("config") or {})
        for message in messages:
            self.add_error(field, message)
        return cleaned
