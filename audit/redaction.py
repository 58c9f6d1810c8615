"""Keeps secrets out of the audit log: every details payload passes through `redact` first.

An append-only log cannot be cleaned later, so a secret must never reach it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from idconfluence.redaction import REDACTED, redact

__all__ = ["REDACTED", "changes", "json_ready", "redact"]


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
