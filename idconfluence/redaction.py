"""The one rule for keeping secrets out of anything stored or shown (steps, audit details, webhook
deliveries): values under secret-looking keys, and credential-looking strings, are masked."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|authori[sz]ation|api[-_]?key|private[-_]?key|"
    r"credential|cookie|signature|session[-_]?id",
    re.IGNORECASE,
)
SECRET_VALUE = re.compile(r"^\s*(bearer|basic|token)\s+\S+", re.IGNORECASE)


def redact(value: Any, mask: str = REDACTED) -> Any:
    """A copy of `value` with secret-looking keys and credential-looking strings replaced."""
    if isinstance(value, Mapping):
        return {
            str(k): mask if SECRET_KEY.search(str(k)) else redact(v, mask) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v, mask) for v in value]
    if isinstance(value, str):
        # PostgreSQL's jsonb refuses NUL characters.
        return mask if SECRET_VALUE.match(value) else value.replace("\x00", "")
    return value
