"""Form fields generated from a connector type's JSON Schema, so a connector is configured with
labelled inputs (text, number, yes/no, a list of choices) instead of a raw JSON box; a new type
gets its form from its schema alone. Nested objects stay a JSON field of their own."""

from __future__ import annotations

from typing import Any

from django import forms

from idconfluence.forms import IntakeJSONField

CONFIG_INPUT = "config__"
_YES_NO = [("", "(not set: the type's default)"), ("true", "Yes"), ("false", "No")]


def config_input(name: str) -> str:
    return f"{CONFIG_INPUT}{name}"


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize().replace("url", "URL").replace("Url", "URL")


def _help(spec: dict[str, Any]) -> str:
    parts = [str(spec["description"])] if spec.get("description") else []
    if spec.get("pattern"):
        parts.append(f"Must match {spec['pattern']}")
    return ". ".join(parts)


def field_for(name: str, spec: dict[str, Any], required: bool) -> forms.Field:
    """One input for one schema property."""
    common: dict[str, Any] = {"label": _label(name), "required": required, "help_text": _help(spec)}
    kind = spec.get("type")
    if "enum" in spec:
        choices = [("", "—"), *((str(v), str(v)) for v in spec["enum"])]
        return forms.ChoiceField(choices=choices, **common)
    if kind == "boolean":
        return forms.ChoiceField(choices=_YES_NO, **{**common, "required": False})
    if kind in ("integer", "number"):
        number = forms.IntegerField if kind == "integer" else forms.FloatField
        return number(min_value=spec.get("minimum"), max_value=spec.get("maximum"), **common)
    if kind == "string":
        return forms.CharField(max_length=spec.get("maxLength"), strip=True, **common)
    items = spec.get("items") or {}
    if kind == "array" and "enum" in items:
        choices = [(str(v), str(v)) for v in items["enum"]]
        return forms.MultipleChoiceField(
            choices=choices, widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == "array" and items.get("type") == "string":
        common["help_text"] = " ".join(filter(None, [common["help_text"], "One value per line."]))
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), **common)
    common["help_text"] = " ".join(filter(None, [common["help_text"], "A JSON value."]))
    return IntakeJSONField(widget=forms.Textarea(attrs={"rows": 4, "class": "idc-mono"}), **common)


def schema_fields(schema: dict[str, Any]) -> dict[str, forms.Field]:
    required = set(schema.get("required") or ())
    return {
        config_input(name): field_for(name, spec, name in required)
        for name, spec in (schema.get("properties") or {}).items()
    }


def to_form(name: str, spec: dict[str, Any], value: Any) -> Any:
    """A stored config value as its input shows it."""
    if spec.get("type") == "boolean" and isinstance(value, bool):
        return "true" if value else "false"
    items = spec.get("items") or {}
    lines = spec.get("type") == "array" and items.get("type") == "string" and "enum" not in items
    if lines and isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return value


def from_form(spec: dict[str, Any], value: Any) -> Any:
    """An input's cleaned value as the config stores it; None when left empty (key omitted)."""
    if value in (None, "", []):
        return None
    if spec.get("type") == "boolean":
        return value == "true"
    if spec.get("type") == "array" and isinstance(value, str):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value
