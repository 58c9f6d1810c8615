"""Keeps secrets out of steps, audit details and the admin: values under secret-looking keys are
masked, whatever their depth."""

from __future__ import annotations

import re
from typing import Any

SECRET_KEY_PATTERN = re.compile(
    r"pass(word|wd)?|secret|token|api[-_]?key|authori[sz]ation|credential|private[-_]?key|cookie",
    re.IGNORECASE,
)
MASK = "********"


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (
                MASK
                if SECRET_KEY_PATTERN.search(str(key)) and item not in (None, "")
                else redact(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value
