"""Schema post-processing: every operation documents the JSON refusal it may give, so a client
(or Schemathesis) knows a 4xx body is always {"detail": "..."}."""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "properties": {
        "detail": {"type": "string", "description": "What was wrong, in a sentence."},
        "errors": {"type": "object", "description": "Problems by field or block, if several."},
    },
    "required": ["detail"],
}
REFUSALS = {
    "400": "The request is invalid (the message and `errors` say what).",
    "401": "No valid credentials (a missing, unknown, revoked or expired token).",
    "403": "Not allowed (the message says what is missing).",
    "404": "Not found, or not visible to you.",
    "409": "The object's state does not allow this now (the message says why).",
}


def add_refusals(result: dict[str, Any], generator: Any, request: Any, public: bool) -> Any:
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["schema"].get("type") == "integer":
                    parameter["schema"]["minimum"] = 0  # the int converter takes digits only
            responses = operation.setdefault("responses", {})
            for code, text in REFUSALS.items():
                responses.setdefault(
                    code,
                    {
                        "description": text,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
    return result
