"""The workflow document: one JSON shape for a whole version, checked against a committed schema.

Export writes it, import reads it, templates and tests are written in it. It carries content
only (no version numbers or dates), so export -> import -> export gives the same document.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from idconfluence.intake import IntakeError, check_value, parse_json
from workflows.models import WorkflowVersion

FORMAT = "idconfluence.workflow/v1"
SCHEMA_PATH = Path(__file__).parent / "schema" / "workflow.schema.json"


class DocumentError(ValueError):
    """The document does not follow the schema; `errors` lists every problem with its path."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return loaded


def parse(data: bytes | str) -> Any:
    """A document file's JSON, read under the intake rule (idconfluence.intake); DocumentError
    naming the path and the limit otherwise."""
    try:
        return parse_json(data)
    except IntakeError as exc:
        raise DocumentError([f"{exc.path}: {exc.message} ({exc.limit})"]) from None


def check(document: Any) -> dict[str, Any]:
    """Validate against the intake rule (no NaN, no NUL, bounded depth...) then the schema;
    every problem is reported with its JSON path."""
    try:
        check_value(document)
    except IntakeError as exc:
        raise DocumentError([f"{exc.path}: {exc.message} ({exc.limit})"]) from None
    validator = jsonschema.Draft202012Validator(schema())
    errors = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(document)'}: {e.message}"
        for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
    if errors:
        raise DocumentError(errors)
    return document  # type: ignore[no-any-return]


def version_document(version: WorkflowVersion) -> dict[str, Any]:
    """The document of one version, blocks and edges in the order they were written."""
    workflow = version.workflow
    blocks = list(version.blocks.order_by("id"))
    keys = {block.pk: block.key for block in blocks}
    return {
        "format": FORMAT,
        "workflow": {
            "slug": workflow.slug,
            "name": workflow.name,
            "description": workflow.description,
        },
        "blocks": [
            {
                "key": block.key,
                "kind": block.kind,
                "type": block.type,
                "label": block.label,
                "config": block.config,
                "position": {"x": block.position_x, "y": block.position_y},
            }
            for block in blocks
        ],
        "edges": [
            {"from": keys[edge.source_id], "to": keys[edge.target_id], "outcome": edge.outcome}
            for edge in version.edges.order_by("id")
        ],
    }


def checksum(document: dict[str, Any]) -> str:
    """SHA-256 of the graph content (blocks and edges), independent of key order."""
    content = {"blocks": document["blocks"], "edges": document["edges"]}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
