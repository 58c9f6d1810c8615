"""What "no crash" means for each fuzz target, shared by the Hypothesis tests, the atheris
harnesses and the replay of tests/fuzz/crashes/: any exception other than the refusal the
target documents is a failure, and an accepted value must be storable (jsonb) JSON."""

from __future__ import annotations

import json
from typing import Any

from idconfluence.intake import IntakeError, parse_json


def storable(value: Any) -> None:
    """An accepted value re-encodes as strict UTF-8 JSON without NaN, NUL or a lone surrogate."""
    text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    text.encode("utf-8")  # a lone surrogate would raise here
    assert "\\u0000" not in text and "\x00" not in text


def intake(data: bytes) -> Any:
    """parse_json accepts (a storable value) or refuses with IntakeError and an ASCII message."""
    try:
        value = parse_json(data)
    except IntakeError as exc:
        assert exc.path.startswith("$") and exc.limit and exc.message
        assert str(exc).isascii() and exc.excerpt.isascii()
        assert exc.as_dict()["error"]
        return exc
    storable(value)
    return value


def document(data: bytes) -> Any:
    """documents.parse then documents.check (no database): a document, or DocumentError with a
    message naming each problem. Needs Django set up (documents imports the models)."""
    from workflows import documents

    try:
        checked = documents.check(documents.parse(data))
    except documents.DocumentError as exc:
        assert exc.errors and all(isinstance(e, str) and e for e in exc.errors)
        return exc
    storable(checked)
    return checked
