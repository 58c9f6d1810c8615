"""JSON bodies read by the one intake rule (`idconfluence.intake`), so a hostile body (too deep,
NaN, a NUL, a 400-digit integer, a duplicate key) is a 400 saying where, never a 500 later."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from idconfluence.intake import IntakeError, parse_json

MAX_BODY_BYTES = 5 * 1024 * 1024  # an exported workflow document is well under this


class IntakeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        body = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(body) > MAX_BODY_BYTES:
            raise ParseError(f"The body is larger than {MAX_BODY_BYTES} bytes.")
        if not body.strip():
            return {}
        try:
            return parse_json(body)
        except IntakeError as exc:
            raise ParseError(f"The JSON body is refused: {exc}") from None
