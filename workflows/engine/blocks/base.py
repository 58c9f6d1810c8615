"""What every block type declares: its config schema, its outcomes, and what it does when walked.

A type is one of three effects: `pure` (evaluated inside the engine: triggers, logic), `call`
(asks a connector to do something; the service layer makes the call), `wait` (hands a task to
a person; the execution ends and a decision resumes the run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import jsonschema

from workflows.engine.errors import ExpressionError
from workflows.engine.expressions import compile_expression, compile_value, evaluate_value

PURE, CALL, WAIT = "pure", "call", "wait"


@dataclass(frozen=True)
class Call:
    """A connector operation to perform, with its arguments already evaluated."""

    connector: str
    operation: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Wait:
    """A human task to open: who, what, and by when (the approvals app turns it into a task)."""

    task: dict[str, Any]


class BlockType:
    kind: ClassVar[str] = ""
    name: ClassVar[str] = ""
    label: ClassVar[str] = ""
    effect: ClassVar[str] = PURE
    schema: ClassVar[dict[str, Any]] = {"type": "object"}
    # Config fields compiled once per version: raw CEL expressions, and values in which
    # "=expr" is an expression and "{{ expr }}" marks a template (anything else is literal).
    expression_fields: ClassVar[tuple[str, ...]] = ()
    value_fields: ClassVar[tuple[str, ...]] = ()

    def required_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        """Outcomes that must each be wired to a next block before publishing."""
        return ()

    def optional_outcomes(self, config: Mapping[str, Any]) -> tuple[str, ...]:
        """Outcomes that may be wired; unwired `next` ends the run."""
        return ("next",)

    def config_errors(self, config: Mapping[str, Any]) -> list[str]:
        validator = jsonschema.Draft202012Validator(self.schema)
        errors = []
        for error in sorted(validator.iter_errors(dict(config)), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in error.absolute_path)
            errors.append(f"config {where + ': ' if where else ''}{error.message}")
        return errors

    def compile(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Compile the expression fields; raises ExpressionError naming the field."""
        compiled: dict[str, Any] = dict(config)
        for name in (*self.expression_fields, *self.value_fields):
            if name not in config:
                continue
            try:
                if name in self.expression_fields:
                    compiled[name] = compile_expression(str(config[name]))
                else:
                    compiled[name] = compile_value(config[name])
            except ExpressionError as exc:
                raise ExpressionError(f"{name}: {exc.detail}", position=exc.position) from None
        return compiled

    def connector_refs(self, config: Mapping[str, Any]) -> list[tuple[str, str]]:
        return []

    # Effects: exactly one of these is meaningful, by `effect`.
    def evaluate(
        self, compiled: Mapping[str, Any], variables: Mapping[str, Any]
    ) -> tuple[str, Any]:
        raise NotImplementedError

    def call(self, compiled: Mapping[str, Any], variables: Mapping[str, Any]) -> Call:
        raise NotImplementedError

    def wait(self, compiled: Mapping[str, Any], variables: Mapping[str, Any]) -> Wait:
        raise NotImplementedError


def evaluate_field(compiled: Mapping[str, Any], name: str, variables: Mapping[str, Any]) -> Any:
    try:
        return evaluate_value(compiled.get(name), variables)
    except ExpressionError as exc:
        raise ExpressionError(f"{name}: {exc}") from None
