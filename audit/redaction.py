"""Keeps secrets out of the audit log: every details payload passes through `redact` first.

An append-only log cannot be cleaned later, so a secret must never reach it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

REDACTED = "[redacted]"
SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)?|pwd|secret|token|authori[sz]ation|api[-_]?key|private[-_]?key|"
    r"credential|cookie|signature|session[-_]?id",
    re.IGNORECASE,
)
SECRET_VALUE = re.compile(r"^\s*(bearer|basic|token)\s+\S+", re.IGNORECASE)


def redact(value: Any) -> Any:
    """A copy of `value` with secret-looking keys and credential-looking strings replaced."""
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if SECRET_KEY.search(str(k)) else redact(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if isinstance(value, str):
        # PostgreSQL's jsonb refuses NUL characters.
        return REDACTED if SECRET_VALUE.match(value) else value.replace("\x00", "")
    return value


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def json_ready(value: Any) -> Any:
    """Redacted and round-tripped through JSON, so what is hashed is exactly what is stored.

    NaN and infinities become null: they are not JSON and the database would refuse them.
    """
    text = json.dumps(redact(value), cls=_Encoder)
    return json.loads(text, parse_constant=lambda _: None)


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The before/after pairs of the fields that differ, for `details` of an edit event."""
    keys = sorted(set(before) | set(after))
    return {
        k: {"before": before.get(k), "after": after.get(k)}
        for k in keys
        if before.get(k) != after.get(k)
    }
