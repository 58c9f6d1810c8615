"""One intake rule for JSON from outside: what a webhook, a resume callback or an imported file may
hold before any of it reaches the database, CEL or a worker.

`parse_json(body)` returns the parsed value or raises `IntakeError(path, limit, message)`, where
`path` names the place (`$.worker.names[3]`) and `limit` the rule (`max_depth=64`). The rule:

- the body is UTF-8 (invalid bytes, including encoded surrogates, are refused) and valid JSON;
- nesting at most `max_depth` arrays/objects deep (64). Checked by an iterative scan of the text
  *before* `json.loads`, so a 2,000-deep body is refused without a RecursionError, and nothing
  that reaches redaction, jsonb or CEL can exhaust the stack later;
- at most `max_items` keys per object and items per array (10,000);
- strings (values and keys) at most `max_string` characters (100,000);
- no duplicate keys in an object (which one would win is ambiguous);
- integers have at most `max_int_digits` digits (30) and lie within the 64-bit range CEL computes
  in, -2**63 .. 2**63-1: a 400-digit integer anywhere in a payload would otherwise make every CEL
  expression of the run fail with "Conversion Error";
- numbers are finite: `NaN`, `Infinity`, `-Infinity` (which json.loads accepts) and floats that
  overflow to infinity (`1e400`) are refused, since PostgreSQL's jsonb refuses them;
- no NUL (`\\u0000`) and no lone surrogate (`\\ud800` without its pair) in any string or key:
  jsonb refuses NUL, and a lone surrogate cannot be encoded as UTF-8 at all. Escaped pairs
  (`\\ud83d\\ude00`) are one character and fine.

`check_value(value)` applies the same rule (except duplicates, which a dict cannot hold) to a
value already in memory, iteratively. Messages and excerpts are ASCII (non-ASCII and control
characters escaped), so a refusal can always be stored and logged, whatever the input held.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["DEFAULT", "IntakeError", "Limits", "check_value", "parse_json"]

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
EXCERPT_CHARS = 60
PATH_KEY_CHARS = 40


@dataclass(frozen=True)
class Limits:
    max_depth: int = 64
    max_items: int = 10_000
    max_string: int = 100_000
    max_int_digits: int = 30


DEFAULT = Limits()


class IntakeError(ValueError):
    """Input refused: `path` is where (`$` for the whole body), `limit` which rule, `message` why;
    `excerpt` is a short ASCII-safe piece of what was refused (for the record, not the answer)."""

    def __init__(self, path: str, limit: str, message: str, excerpt: str = "") -> None:
        self.path, self.limit, self.message, self.excerpt = path, limit, message, excerpt
        super().__init__(f"{path}: {message} ({limit})")

    def as_dict(self) -> dict[str, str]:
        return {"error": f"{self.path}: {self.message}", "path": self.path, "limit": self.limit}


def safe_excerpt(text: str, chars: int = EXCERPT_CHARS) -> str:
    """At most `chars` characters of `text`, escaped to printable ASCII (NUL, surrogates too)."""
    cut = text[:chars]
    escaped = json.dumps(cut, ensure_ascii=True)[1:-1]
    return escaped + ("..." if len(text) > chars else "")


# Strings (escapes included) or one structural character; everything else is skipped.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{},:]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_json(body: bytes | str, *, limits: Limits = DEFAULT) -> Any:
    """The JSON value of `body`, or IntakeError naming the path and the limit it breaks."""
    if isinstance(body, bytes | bytearray):
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            excerpt = safe_excerpt(
                bytes(body)[max(exc.start - 20, 0) : exc.end + 20].decode("latin-1")
            )
            raise IntakeError(
                "$", "utf8", f"the body is not valid UTF-8 (byte {exc.start})", excerpt
            ) from None
    else:
        text = body
    _scan_depth(text, limits)
    try:
        value = json.loads(
            text,
            parse_constant=_constant,
            parse_float=_float,
            parse_int=lambda token: _int(token, limits),
            object_pairs_hook=_object,
        )
    except json.JSONDecodeError as exc:
        raise IntakeError(
            "$",
            "syntax",
            f"not valid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})",
            safe_excerpt(text[max(exc.pos - 20, 0) : exc.pos + 20]),
        ) from None
    except RecursionError:  # pragma: no cover - the scan refuses such depth first
        raise IntakeError("$", f"max_depth={limits.max_depth}", "nested too deep") from None
    return _walk(value, limits, parsed=True)


def check_value(value: Any, *, limits: Limits = DEFAULT) -> Any:
    """`value` unchanged when it follows the rule (a dict/list tree of JSON scalars)."""
    return _walk(value, limits, parsed=False)


# Parsing hooks: they cannot know the path, so they leave a marker the walk reports.


@dataclass(frozen=True)
class _Refused:
    limit: str
    message: str
    excerpt: str
    key: str | None = None  # for a duplicate key: the key, reported at the object's path + key


def _constant(token: str) -> _Refused:
    return _Refused("finite_numbers", f"{token} is not a number JSON can store", token)


def _float(token: str) -> float | _Refused:
    value = float(token)
    if math.isfinite(value):
        return value
    excerpt = safe_excerpt(token, 30)
    return _Refused("finite_numbers", f"the number {excerpt} overflows to infinity", excerpt)


def _int(token: str, limits: Limits) -> int | _Refused:
    digits = len(token) - (token[0] == "-")
    if digits > limits.max_int_digits:
        return _Refused(
            f"max_int_digits={limits.max_int_digits}",
            f"an integer of {digits} digits (at most {limits.max_int_digits})",
            safe_excerpt(token, 30),
        )
    return _in_int64(int(token))


def _in_int64(value: int) -> int | _Refused:
    if INT64_MIN <= value <= INT64_MAX:
        return value
    return _Refused(
        "int64",
        f"the integer {value} is outside the 64-bit range expressions compute in (-2**63..2**63-1)",
        str(value),
    )


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any] | _Refused:
    result = dict(pairs)
    if len(result) == len(pairs):
        return result
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            shown = safe_excerpt(key)
            return _Refused("unique_keys", f"the key {shown!r} appears more than once", shown, key)
        seen.add(key)
    raise AssertionError("unreachable")  # pragma: no cover


def _scan_depth(text: str, limits: Limits) -> None:
    """Refuse nesting deeper than the limit, counting brackets outside strings, without
    recursion; the path is worked out only for a refusal."""
    if text.count("[") + text.count("{") <= limits.max_depth:
        return
    # Per open container: [is_object, index or key token, expecting a key].
    stack: list[list[Any]] = []
    for match in _TOKENS.finditer(text):
        piece = match.group()
        if piece in "[{":
            stack.append([piece == "{", 0 if piece == "[" else None, piece == "{"])
            if len(stack) > limits.max_depth:
                raise IntakeError(
                    _scan_path(stack[:-1]),
                    f"max_depth={limits.max_depth}",
                    f"nested more than {limits.max_depth} arrays/objects deep",
                    safe_excerpt(text[match.start() : match.start() + EXCERPT_CHARS]),
                )
        elif piece in "]}":
            if stack:
                stack.pop()
        elif piece == ",":
            if stack:
                top = stack[-1]
                if top[0]:
                    top[2] = True
                else:
                    top[1] += 1
        elif piece == ":":
            if stack:
                stack[-1][2] = False
        elif stack and stack[-1][0] and stack[-1][2]:
            stack[-1][1] = piece  # an object's key, still JSON-escaped


def _scan_path(stack: list[list[Any]]) -> str:
    parts: list[str | int] = []
    for is_object, where, _ in stack:
        if is_object:
            try:
                parts.append(json.loads(where) if where else "?")
            except ValueError:
                parts.append("?")
        else:
            parts.append(where)
    return _path_text(parts)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _path_text(parts: list[str | int]) -> str:
    out = ["$"]
    for part in parts:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif len(part) <= PATH_KEY_CHARS and _NAME.match(part):
            out.append(f".{part}")
        else:  # a long key is shown cut, so a path always fits a message
            shown = part if len(part) <= PATH_KEY_CHARS else part[:PATH_KEY_CHARS] + "..."
            out.append(f"[{json.dumps(shown, ensure_ascii=True)}]")
    return "".join(out)


def _path(node: tuple[Any, str | int] | None) -> str:
    parts: list[str | int] = []
    while node is not None:
        node, part = node
        parts.append(part)
    return _path_text(parts[::-1])


def _walk(value: Any, limits: Limits, *, parsed: bool) -> Any:
    """Check every node of `value`, depth first in document order, with an explicit stack."""
    # Entries: (value, depth, path node); a path node is (parent node, key or index).
    stack: list[tuple[Any, int, tuple[Any, str | int] | None]] = [(value, 0, None)]
    while stack:
        item, depth, node = stack.pop()
        if isinstance(item, str):
            _check_string(item, node, limits, "string")
        elif isinstance(item, dict | list):
            if depth >= limits.max_depth:
                raise IntakeError(
                    _path(node),
                    f"max_depth={limits.max_depth}",
                    f"nested more than {limits.max_depth} arrays/objects deep",
                )
            if len(item) > limits.max_items:
                what = "keys" if isinstance(item, dict) else "items"
                raise IntakeError(
                    _path(node),
                    f"max_items={limits.max_items}",
                    f"{len(item)} {what} (at most {limits.max_items})",
                )
            if isinstance(item, dict):
                children: list[tuple[Any, int, Any]] = []
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise IntakeError(_path(node), "json", f"a key that is not text: {key!r}")
                    _check_string(key, (node, key), limits, "key")
                    children.append((child, depth + 1, (node, key)))
                stack.extend(reversed(children))
            else:
                stack.extend(
                    (child, depth + 1, (node, i)) for i, child in reversed(list(enumerate(item)))
                )
        elif isinstance(item, _Refused):
            where = node if item.key is None else (node, item.key)
            raise IntakeError(_path(where), item.limit, item.message, item.excerpt)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int):
            if not parsed:
                refused = _in_int64(item)
                if isinstance(refused, _Refused):
                    raise IntakeError(_path(node), refused.limit, refused.message, refused.excerpt)
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise IntakeError(
                    _path(node), "finite_numbers", f"{item} is not a number JSON can store"
                )
        elif parsed:  # pragma: no cover - json.loads makes nothing else
            raise AssertionError(type(item))
        else:
            raise IntakeError(_path(node), "json", f"a {type(item).__name__} is not JSON")
    return value


def _check_string(text: str, node: Any, limits: Limits, what: str) -> None:
    if len(text) > limits.max_string:
        raise IntakeError(
            _path(node),
            f"max_string={limits.max_string}",
            f"a {what} of {len(text)} characters (at most {limits.max_string})",
            safe_excerpt(text),
        )
    if "\x00" in text:
        raise IntakeError(
            _path(node), "no_nul", f"a {what} holding NUL (\\u0000)", safe_excerpt(text)
        )
    if _SURROGATE.search(text):
        raise IntakeError(
            _path(node),
            "no_lone_surrogates",
            f"a {what} holding a lone surrogate (\\ud800-\\udfff without its pair)",
            safe_excerpt(text),
        )
