"""The safe expression language: CEL, compiled once per version, evaluated many times (~5 µs).

CEL has no cost limits of its own, so we bound it: at most 1,000 characters, at most one
comprehension macro, plain JSON-like input only, and any failure inside the Rust core (a panic
is a BaseException) becomes an ExpressionError. Never `eval`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cel

from workflows.engine.errors import ExpressionError, WindowExceeded

MAX_LENGTH = 1000
MAX_COMPREHENSIONS = 1
MAX_INPUT_DEPTH = 32
_COMPREHENSION = re.compile(r"\.\s*(all|exists|exists_one|map|filter)\s*\(")
_STRING_LITERAL = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")
_POSITION = re.compile(r"<input>:(\d+):(\d+)")
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)


@dataclass(frozen=True)
class Expression:
    source: str
    program: Any

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        _check_depth(variables, 0)
        try:
            result = self.program.execute(dict(variables))
        except (KeyboardInterrupt, SystemExit, WindowExceeded):
            raise
        except KeyError as exc:
            raise ExpressionError(f"no such field {exc.args[0]!r} in `{self.source}`") from None
        except BaseException as exc:  # the Rust core panics with a BaseException
            raise ExpressionError(f"`{self.source}` failed: {exc}", source=self.source) from None
        return to_json(result)


def compile_expression(source: str) -> Expression:
    """Compile a CEL expression or raise ExpressionError naming the position of the mistake."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("an expression is required")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"expression is {len(source)} characters; the limit is {MAX_LENGTH}")
    comprehensions = len(_COMPREHENSION.findall(_STRING_LITERAL.sub("''", source)))
    if comprehensions > MAX_COMPREHENSIONS:
        raise ExpressionError(
            f"expression uses {comprehensions} comprehension macros (all/exists/map/filter); "
            f"at most {MAX_COMPREHENSIONS} is allowed",
            source=source,
        )
    try:
        program = cel.compile(source)
    except (KeyboardInterrupt, SystemExit, WindowExceeded):
        raise
    except BaseException as exc:
        text = str(exc)
        match = _POSITION.search(text)
        position = int(match.group(2)) if match else None  # CEL columns are 1-based
        detail = text.split("ERROR: ", 1)[-1].split("\n", 1)[0]
        detail = _POSITION.sub("", detail).lstrip(": ").strip() or "syntax error"
        raise ExpressionError(
            f"invalid expression `{source}`: {detail}", source=source, position=position
        ) from None
    return Expression(source=source, program=program)


@dataclass(frozen=True)
class Template:
    """A string with `{{ expression }}` parts, e.g. "Welcome {{ event.name }}"."""

    parts: tuple[str | Expression, ...]

    def evaluate(self, variables: Mapping[str, Any]) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, Expression):
                value = part.evaluate(variables)
                out.append("" if value is None else str(value))
            else:
                out.append(part)
        return "".join(out)


def compile_value(value: Any) -> Any:
    """Compile a config value: "=expr" is an expression, "{{ }}" marks a template, else literal."""
    if isinstance(value, str):
        if value.startswith("="):
            return compile_expression(value[1:])
        if "{{" in value:
            parts: list[str | Expression] = []
            last = 0
            for match in _TEMPLATE.finditer(value):
                parts.append(value[last : match.start()])
                parts.append(compile_expression(match.group(1).strip()))
                last = match.end()
            parts.append(value[last:])
            return Template(tuple(p for p in parts if p != ""))
        return value
    if isinstance(value, dict):
        return {key: compile_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [compile_value(item) for item in value]
    return value


def evaluate_value(compiled: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(compiled, Expression | Template):
        return compiled.evaluate(variables)
    if isinstance(compiled, dict):
        return {key: evaluate_value(item, variables) for key, item in compiled.items()}
    if isinstance(compiled, list):
        return [evaluate_value(item, variables) for item in compiled]
    return compiled


def to_json(value: Any) -> Any:
    """CEL answers may hold timestamps and durations; steps store plain JSON."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return value


def _check_depth(value: Any, depth: int) -> None:
    if depth > MAX_INPUT_DEPTH:
        raise ExpressionError(f"input is nested deeper than {MAX_INPUT_DEPTH} levels")
    if isinstance(value, Mapping):
        for item in value.values():
            if isinstance(item, Mapping | list):
                _check_depth(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, Mapping | list):
                _check_depth(item, depth + 1)
