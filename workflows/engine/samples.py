"""A sample event for a workflow whose trigger has none: every `event.<path>` its expressions
read, filled with a plausible value by the leaf's name, so *Run now* starts from an input the
workflow can walk instead of `{}` (which any `event.x` refuses)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from workflows.engine.expressions import Expression, Template
from workflows.engine.program import Program

_BY_NAME: tuple[tuple[str, Any], ...] = (
    (r"e?mail", "jane.doe@acme.example"),
    (r"user_?name|login|^user$|account", "jane.doe"),
    (r"score|count|number|amount|level|age|days|hours|quantity|risk", 0),
    (r"^(is|has)[A-Z_]|enabled|active|flag", False),
    (r"date|day$", "2026-12-01"),
    (r"(^|_)at$|At$|time$", "2026-12-01T09:00:00Z"),
    (r"first", "Jane"),
    (r"last|surname|family", "Doe"),
    (r"items|list|groups|roles|members$", []),
)


def placeholder(name: str) -> Any:
    for pattern, value in _BY_NAME:
        if re.search(pattern, name, flags=re.IGNORECASE):
            return value
    return f"example {name}"


def _expressions(value: Any) -> Iterator[Expression]:
    if isinstance(value, Expression):
        yield value
    elif isinstance(value, Template):
        yield from (part for part in value.parts if isinstance(part, Expression))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _expressions(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _expressions(item)


def event_skeleton(program: Program) -> dict[str, Any]:
    """The event paths the program reads, each with a placeholder value."""
    sample: dict[str, Any] = {}
    paths = {
        reference[1:]
        for config in program.configs.values()
        for expression in _expressions(dict(config))
        for reference in expression.plan.references
        if len(reference) > 1 and reference[0] == "event"
    }
    for path in sorted(paths, key=len):
        node = sample
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = node[key] = {}
            node = child
        node.setdefault(path[-1], placeholder(path[-1]))
    return sample
