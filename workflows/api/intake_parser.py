"""JSON request bodies read under the project's intake rule (idconfluence.intake): bounded depth
and size, no NaN, no NUL, no duplicate keys; a refusal is a 400 naming the path and the limit,
never a RecursionError turned into a 500."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from idconfluence.intake import IntakeError, parse_json

MAX_BODY_BYTES = 4 * 1024 * 1024


class IntakeJSONParser(JSONParser):
    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BODY_BYTES:
            raise ParseError(f"the body is larger than {MAX_BODY_BYTES} bytes")
        try:
            return parse_json(raw)
        except IntakeError as exc:
            raise ParseError(f"JSON refused at {exc.path}: {exc.message} ({exc.limit})") from None
