"""Form fields shared by the consoles: JSON typed into the admin goes through the same intake rule
as a webhook body (`idconfluence.intake`), so `NaN`, a 2,000-deep value, a NUL or a 400-digit
integer is a field error naming the place, never a 500 from jsonb or a RecursionError."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import InvalidJSONInput, JSONString

from idconfluence.intake import IntakeError, check_value, parse_json


class IntakeJSONField(forms.JSONField):
    def to_python(self, value: Any) -> Any:
        if self.disabled:
            return value
        if value in self.empty_values:
            return None
        try:
            if isinstance(value, (list, dict, int, float, JSONString)):
                return check_value(value)
            converted = parse_json(value)
        except IntakeError as exc:
            raise ValidationError(str(exc), code="invalid") from exc
        return JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data: Any, initial: Any) -> Any:
        """What is shown back: what was typed, when it is refused (json.loads would recurse)."""
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return parse_json(data)
        except IntakeError:
            return InvalidJSONInput(data)
