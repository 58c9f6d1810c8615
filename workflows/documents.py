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
from django.core.exceptions import ValidationError
from django.db import models

from idconfluence.intake import IntakeError, check_value, parse_json
from workflows.models import Block, Workflow, WorkflowVersion

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
        raise _refused(exc) from None


def check(document: Any) -> dict[str, Any]:
    """Validate against the intake rule (no NaN, no NUL, bounded depth...), the schema, then the
    model fields' own validators (no control characters in names, labels, descriptions); every
    problem is reported with its JSON path."""
    try:
        check_value(document)
    except IntakeError as exc:
        raise _refused(exc) from None
    validator = jsonschema.Draft202012Validator(schema())
    errors = [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(document)'}: {e.message}"
        for e in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]
    if errors:
        raise DocumentError(errors)
    errors = _field_errors(document)
    if errors:
        raise DocumentError(errors)
    return document  # type: ignore[no-any-return]


def _refused(exc: IntakeError) -> DocumentError:
    return DocumentError([f"{exc.path}: {exc.message} ({exc.limit})"])


def _field_errors(document: dict[str, Any]) -> list[str]:
    """What the model fields the document is stored in would refuse, by JSON path."""
    meta = document["workflow"]
    texts: list[tuple[str, type[models.Model], str, Any]] = [
        (f"workflow/{name}", Workflow, name, meta.get(name)) for name in ("name", "description")
    ]
    texts += [
        (f"blocks/{i}/label", Block, "label", block.get("label"))
        for i, block in enumerate(document["blocks"])
    ]
    errors = []
    for path, model, name, value in texts:
        if not isinstance(value, str):
            continue
        try:
            field = model._meta.get_field(name)
            assert isinstance(field, models.Field)  # noqa: S101 - text columns
            field.run_validators(value)
        except ValidationError as exc:
            errors += [f"{path}: {message}" for message in exc.messages]
    return errors


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
