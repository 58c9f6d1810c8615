"""The input fields a task asks for (the block's `fields`), read from what the approver sent:
each value checked against its declared type, required ones present, unknown names dropped. A
refusal names the field, and nothing is decided."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

MAX_TEXT = 1000


class FieldRefused(ValueError):
    pass


def read_fields(spec: Sequence[Mapping[str, Any]], sent: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in spec:
        key, label, kind = str(field["key"]), str(field["label"]), field["type"]
        raw = sent.get(key)
        if kind == "boolean":
            values[key] = raw not in (None, "", False, "0", "false", "off")
            continue
        text = "" if raw is None else str(raw).strip()
        if not text:
            if field.get("required"):
                raise FieldRefused(f"{label} is required.")
            continue
        values[key] = _typed(kind, label, text, field)
    return values


def _typed(kind: str, label: str, text: str, field: Mapping[str, Any]) -> Any:
    if kind == "number":
        try:
            number = float(text) if any(c in text for c in ".eE") else int(text, 10)
        except ValueError:
            raise FieldRefused(f"{label} must be a number, not {text[:40]!r}.") from None
        if isinstance(number, int) and not -(2**63) <= number < 2**63:
            raise FieldRefused(f"{label} is out of range.")
        if isinstance(number, float) and not math.isfinite(number):
            raise FieldRefused(f"{label} must be a finite number.")
        return number
    if kind == "choice":
        choices = [str(c) for c in field.get("choices") or []]
        if text not in choices:
            raise FieldRefused(f"{label} must be one of: {', '.join(choices)}.")
        return text
    if len(text) > MAX_TEXT or "\x00" in text:
        raise FieldRefused(f"{label} must be plain text of at most {MAX_TEXT} characters.")
    return text
