"""Publish-time validation of a whole graph: structure, configs, expressions, connectors."""

from __future__ import annotations

from collections.abc import Mapping

from workflows.engine import blocks
from workflows.engine.errors import ExpressionError, GraphError
from workflows.engine.graph import Graph, Issue, structural_issues


def validate(graph: Graph, connectors: Mapping[str, frozenset[str]] | None = None) -> list[Issue]:
    """Every problem that stops `graph` from being published, each tied to its block.

    `connectors` maps each configured connector's name to the operations it supports; None
    skips the connector checks (for a draft being drawn before its connectors exist).
    """
    issues = structural_issues(graph)
    for block in graph.blocks.values():
        issues.extend(_block_issues(graph, block.key, connectors))
    return issues


def _block_issues(
    graph: Graph, key: str, connectors: Mapping[str, frozenset[str]] | None
) -> list[Issue]:
    block = graph.blocks[key]
    try:
        block_type = blocks.get(block.kind, block.type)
    except GraphError as exc:
        return [Issue(key, str(exc))]
    config_errors = block_type.config_errors(block.config)
    issues = [Issue(key, message) for message in config_errors]
    if config_errors:
        return issues
    try:
        block_type.compile(block.config)
    except ExpressionError as exc:
        issues.append(Issue(key, str(exc)))
    required = block_type.required_outcomes(block.config)
    allowed = set(required) | set(block_type.optional_outcomes(block.config))
    wired = graph.outcomes_of(key)
    for outcome in required:
        if outcome not in wired:
            issues.append(Issue(key, f"outcome {outcome!r} is not connected to a next block"))
    for outcome in sorted(wired - allowed):
        issues.append(Issue(key, f"{block.kind}/{block.type} has no outcome {outcome!r}"))
    if connectors is not None:
        for name, operation in block_type.connector_refs(block.config):
            if name not in connectors:
                issues.append(Issue(key, f"connector {name!r} does not exist"))
            elif operation not in connectors[name]:
                issues.append(Issue(key, f"connector {name!r} does not support {operation!r}"))
    return issues
