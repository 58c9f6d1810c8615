"""The safe expression language: CEL, compiled once per version, evaluated many times (~5 µs).

CEL has no cost limits of its own, and its Rust core cannot be interrupted (not even by the
engine's SIGALRM), so we bound it before it starts: at most 1,000 characters and one
comprehension macro, plain JSON-like input only, and an estimate of the worst-case work from
the size of the input the expression reads, refused with the path and the limit it exceeds.
Any failure inside the Rust core (a panic is a BaseException) becomes an ExpressionError.
Never `eval`.

What it costs (common-expression-language 0.10, this 2-core machine, best of 3):

- reading input: ~0.07 µs per number, ~1 µs per string, list or map (converted on every
  execute): 100,000 strings 84 ms, 25,000 maps of 4 numbers 111 ms. Only the variables an
  expression names are passed (a logic block over `event` does not convert every block output).
- all/exists/exists_one are linear: 10,000 numbers 3 ms, 10,000 maps of 4 fields 50 ms.
- map/filter copy the answer so far at every item (quadratic): 1,000 numbers 21 ms, 2,000
  80 ms, 4,000 322 ms, 10,000 2.3 s, 60,000 minutes; filter keeping 1,000 maps of 16 fields
  1.43 s (~84 ns per value copied, the dearest step measured).
- a body reading other input per item: `all(x, x in event.items)` 3,000 x 3,000 190 ms,
  10,000 x 10,000 2.1 s; `map(x, event.items)` copies what it read: 400 x 400 1.3 s (cubic).
- joins: `a + a + ... ` (50 `+`) of a 10,000-item list 311 ms, of a 1 MB string 508 ms.

So the estimate counts steps (one per value, one per CHARS_PER_STEP characters) and refuses
more than MAX_WORK = 5,000,000 of them (at the dearest 84 ns a step, 0.42 s); a comprehension
may iterate at most MAX_COLLECTION_ITEMS items whatever its body. Measuring the input is one
walk of what the expression names (~3 µs for a typical context, 12 ms for 60,000 numbers) that
also enforces MAX_INPUT_DEPTH, MAX_INPUT_ITEMS and MAX_INPUT_CHARS.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import cel

from workflows.engine.errors import ExpressionError, WindowExceeded

MAX_LENGTH = 1000
MAX_COMPREHENSIONS = 1
MAX_INPUT_DEPTH = 32
MAX_INPUT_ITEMS = 100_000  # values (items of lists and maps) an expression may read: ~0.1 s
MAX_INPUT_CHARS = 10_000_000  # characters of text an expression may read
MAX_COLLECTION_ITEMS = 10_000  # items one comprehension may iterate
MAX_WORK = 5_000_000  # estimated steps of one evaluation: under 0.5 s at the dearest step
CHARS_PER_STEP = 16  # text scanned or copied (`matches` ~2 ns a character, copies ~0.4 ns)
_COMPREHENSION = re.compile(r"\.\s*(all|exists|exists_one|map|filter)\s*\(")
_STRING_LITERAL = re.compile(r"'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"")
_POSITION = re.compile(r"<input>:(\d+):(\d+)")
_TEMPLATE = re.compile(r"\{\{(.*?)\}\}", re.S)
_CHAIN = r"[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*"
_REFERENCE = re.compile(rf"(?<![\w.])({_CHAIN})(\s*\()?")  # `event.items`, `x.startsWith(`
_RANGE = re.compile(rf"(?<![\w.)\]])({_CHAIN})\s*$")  # the path just before `.map(`
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_KEYWORDS = frozenset({"true", "false", "null", "in"})

Path = tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """What an expression can do with its input, read from its source at compile time."""

    names: tuple[str, ...]  # the variables it uses: only these are measured and passed to CEL
    references: tuple[Path, ...]  # the outermost input paths it reads, e.g. ("event", "items")
    reads: int  # how many times it reads the input
    joins: int  # `+` operators: a chain of k copies up to k(k+1)/2 operands
    macro: str = ""  # its comprehension macro, if any
    range: Path = ()  # what the macro iterates, when that is a plain path
    body: tuple[Path, ...] = ()  # outer paths the macro's body reads on every iteration
    fanout: int = 1  # values in one answer of the body per value read (`[x, x]`: 4)


@dataclass(frozen=True)
class Expression:
    source: str
    program: Any
    plan: Plan

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        scope = {name: variables[name] for name in self.plan.names if name in variables}
        _check_work(self, scope)
        try:
            result = self.program.execute(scope)
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
    bare = _STRING_LITERAL.sub("''", source)
    comprehensions = len(_COMPREHENSION.findall(bare))
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
    return Expression(source=source, program=program, plan=_plan(bare, program))


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


# --- what an expression may cost, known before CEL starts -----------------------------------


def _plan(bare: str, program: Any) -> Plan:
    """Read `bare` (the source with its string literals emptied) for what it does with input."""
    names = tuple(str(name) for name in program.variables())
    macro, loop_vars, fanout = "", frozenset[str](), 1
    range_path: Path = ()
    body: tuple[Path, ...] = ()
    found = _COMPREHENSION.search(bare)
    if found:
        macro = found.group(1)
        before = _RANGE.search(bare[: found.start()])
        range_path = _path(before.group(1)) if before else ()
        args = _arguments(bare, found.end())
        loop_vars = frozenset(a for a in args[:-1] if _IDENTIFIER.fullmatch(a))
        body_args = [a for a in args if a not in loop_vars]
        body_refs = [p for a in body_args for p in _references(a)]
        body = _outermost(p for p in body_refs if p[0] not in loop_vars)
        # How many values one answer of the body may hold: `[x, x, {'a': x}]` holds 7.
        built = sum(a.count(",") + a.count("[") + a.count("{") for a in body_args)
        fanout = max(1, built + sum(1 for p in body_refs if p[0] in loop_vars))
    references = [p for p in _references(bare) if p[0] not in loop_vars]
    return Plan(
        names=names,
        references=_outermost(references),
        reads=len(references),
        joins=bare.count("+"),
        macro=macro,
        range=range_path,
        body=body,
        fanout=fanout,
    )


def _path(chain: str) -> Path:
    return tuple(part.strip() for part in chain.split("."))


def _references(text: str) -> list[Path]:
    """Every input path read in `text`: `event.items.exists(` reads event.items, `size(` none."""
    paths = []
    for match in _REFERENCE.finditer(text):
        path = _path(match.group(1))
        if match.group(2):  # a call: a function (`size(`) or a method of the path before it
            path = path[:-1]
        if path and path[0] not in _KEYWORDS:
            paths.append(path)
    return paths


def _outermost(paths: Iterable[Path]) -> tuple[Path, ...]:
    """The paths none of whose prefixes is also listed: their values are disjoint subtrees."""
    unique = sorted(set(paths))
    kept: list[Path] = []
    for path in unique:  # sorted, so a prefix comes just before the paths it contains
        if not kept or path[: len(kept[-1])] != kept[-1]:
            kept.append(path)
    return tuple(kept)


def _arguments(bare: str, start: int) -> list[str]:
    """The top-level arguments of the call whose `(` ends just before `start`."""
    args, depth, last = [], 0, start
    for index in range(start, len(bare)):
        char = bare[index]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            if depth == 0:
                args.append(bare[last:index].strip())
                return args
            depth -= 1
        elif char == "," and depth == 0:
            args.append(bare[last:index].strip())
            last = index + 1
    args.append(bare[last:].strip())
    return args


class _Tally:
    """One pass over the input: values (every item of every list or map), text, largest list."""

    __slots__ = ("chars", "items", "largest", "root")

    def __init__(self) -> None:
        self.items = self.chars = self.largest = 0
        self.root = ""


class _TooLarge(Exception):
    pass


_PLAIN = frozenset({int, float, bool, type(None), dt.datetime, dt.timedelta})


def _walk(value: Mapping[str, Any] | list[Any], depth: int, tally: _Tally) -> None:
    if depth > MAX_INPUT_DEPTH:
        raise ExpressionError(f"input is nested deeper than {MAX_INPUT_DEPTH} levels")
    size = len(value)
    tally.items += size
    if size > tally.largest:
        tally.largest = size
    if tally.items > MAX_INPUT_ITEMS:
        raise _TooLarge
    for item in value.values() if isinstance(value, Mapping) else value:
        kind = type(item)
        if kind is str:
            tally.chars += len(item)
        elif kind is dict or kind is list:
            _walk(item, depth + 1, tally)
        elif kind not in _PLAIN:
            if isinstance(item, Mapping | list):
                _walk(item, depth + 1, tally)
            elif isinstance(item, str | bytes):
                tally.chars += len(item)


def _measure(scope: Mapping[str, Any]) -> _Tally:
    tally = _Tally()
    tally.items = len(scope)
    for name, value in scope.items():
        tally.root = name
        if isinstance(value, Mapping | list):
            try:
                _walk(value, 1, tally)
            except _TooLarge:
                where, size = _largest(value, name, 1)
                raise ExpressionError(
                    f"{name} holds more than {MAX_INPUT_ITEMS:,} values (its largest collection,"
                    f" {where}, has {size:,} items); expressions may read at most"
                    f" {MAX_INPUT_ITEMS:,} (MAX_INPUT_ITEMS)"
                ) from None
        elif isinstance(value, str | bytes):
            tally.chars += len(value)
    if tally.chars > MAX_INPUT_CHARS:
        raise ExpressionError(
            f"the input holds {tally.chars:,} characters of text; expressions may read at most"
            f" {MAX_INPUT_CHARS:,} (MAX_INPUT_CHARS)"
        )
    return tally


def _size(value: Any) -> int:
    """A value's cost in steps: one per value it holds, one per CHARS_PER_STEP of text."""
    if isinstance(value, str | bytes):
        return 1 + len(value) // CHARS_PER_STEP
    if isinstance(value, Mapping | list):
        tally = _Tally()
        _walk(value, 0, tally)  # within the limits: the whole input was measured
        return 1 + tally.items + tally.chars // CHARS_PER_STEP
    return 1


_MISSING = object()


def _resolve(scope: Mapping[str, Any], path: Path, *, whole: bool) -> Any:
    """The value at `path`, or (unless `whole`) the deepest one found on the way to it."""
    if path[0] not in scope:
        return _MISSING
    value = scope[path[0]]
    for key in path[1:]:
        if not isinstance(value, Mapping) or key not in value:
            return _MISSING if whole else value
        value = value[key]
    return value


def _largest(value: Any, where: str, depth: int) -> tuple[str, int]:
    """The path and length of the longest list or map in `value` (only when refusing)."""
    best = (where, len(value)) if isinstance(value, Mapping | list) else (where, 0)
    if depth > MAX_INPUT_DEPTH or not isinstance(value, Mapping | list):
        return best
    pairs = value.items() if isinstance(value, Mapping) else enumerate(value)
    for key, item in pairs:
        if isinstance(item, Mapping | list):
            name = f"{where}.{key}" if _IDENTIFIER.fullmatch(str(key)) else f"{where}[{key!r}]"
            found = _largest(item, name, depth + 1)
            if found[1] > best[1]:
                best = found
    return best


def _check_work(expression: Expression, scope: Mapping[str, Any]) -> None:
    """Refuse, before CEL starts, an evaluation whose worst case could exceed MAX_WORK steps."""
    plan, source = expression.plan, expression.source
    where, count = ".".join(plan.range), 0
    if plan.range:  # a long range is refused at once, before the input is walked
        value = _resolve(scope, plan.range, whole=True)
        count = len(value) if isinstance(value, Mapping | list) else 0
        if count > MAX_COLLECTION_ITEMS:
            raise _too_many(f"{where} has {count:,} items", source)
    tally = _measure(scope)
    total = 1 + tally.items + tally.chars // CHARS_PER_STEP
    sizes: dict[Path, int] = {}

    def size_of(paths: tuple[Path, ...]) -> list[int]:
        for path in paths:
            if path not in sizes:
                value = _resolve(scope, path, whole=False)
                sizes[path] = 0 if value is _MISSING else _size(value)
        return [sizes[path] for path in paths]

    # Reading a value costs up to its size (a comparison, `in`, the answer's conversion);
    # a chain of k `+` copies its growing prefix k times.
    steps = plan.reads + plan.joins * (plan.joins + 1) // 2
    if steps * total > MAX_WORK:
        biggest = max(size_of(plan.references), default=1)
        if steps * biggest > MAX_WORK:
            raise ExpressionError(
                f"`{source}` reads or joins values of up to {biggest:,} steps {steps} times:"
                f" about {steps * biggest:,} steps; the limit is {MAX_WORK:,} (MAX_WORK)",
                source=source,
            )
    if not plan.macro:
        return

    if plan.range:
        span = size_of((plan.range,))[0] if count else 0
    else:  # a computed range (`(a + b).map(...)`, `[...].all(...)`): assume the worst
        count, span = tally.largest * (plan.joins + 1), total * (plan.joins + 1)
        if count > MAX_COLLECTION_ITEMS:
            path, length = _largest(scope, "", 0)
            what = f"{path.lstrip('.')} has {length:,} items (what `{source}` iterates may hold"
            raise _too_many(f"{what} {count:,})", source)
    # What the body reads besides its item, on every item: a cheap bound first, then exactly.
    body = copied = total if plan.body else 0
    work = _comprehension_work(plan, count, span, body, copied)
    if work > MAX_WORK and plan.body:
        read = size_of(plan.body)
        body, copied = sum(read), sum(size - 1 for size in read if size)
        work = _comprehension_work(plan, count, span, body, copied)
    if work > MAX_WORK:
        reads = ", ".join(".".join(p) for p in plan.body)
        also = f" reading {reads} ({body:,} steps) each time" if reads else ""
        raise ExpressionError(
            f"`{source}` would {plan.macro} over {where or 'a collection'} ({count:,} items,"
            f" {span:,} steps){also}: about {work:,} steps; the limit is {MAX_WORK:,}"
            f" (MAX_WORK)",
            source=source,
        )


def _too_many(what: str, source: str) -> ExpressionError:
    return ExpressionError(
        f"{what}; expressions may iterate at most {MAX_COLLECTION_ITEMS:,} (MAX_COLLECTION_ITEMS)",
        source=source,
    )


def _comprehension_work(plan: Plan, count: int, span: int, body: int, copied: int) -> int:
    """Worst-case steps of one macro over `count` items (`span` steps in all), whose body reads
    `body` steps of other input per item, `copied` of them more than a plain value. CEL builds
    map/filter answers by copying the answer so far at every item, which makes them quadratic
    in the items and, for map, in what the body puts into each answer."""
    if plan.macro == "map":
        return count * (span + count * copied // 2) * plan.fanout + count * body
    if plan.macro == "filter":
        return count * span + count * body
    return span + count * body
