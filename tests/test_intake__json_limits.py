"""The JSON intake rule (idconfluence.intake): every kind of bad input is refused with the path
and the limit it breaks, without a RecursionError or a traceback; good input passes unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest

from idconfluence.intake import IntakeError, Limits, check_value, parse_json


def nested(depth: int, inner: bytes = b"") -> bytes:
    return b"[" * depth + inner + b"]" * depth


BAD: list[tuple[str, bytes, str, str]] = [
    # (case, body, path, limit)
    ("NaN", b'{"a": NaN}', "$.a", "finite_numbers"),
    ("Infinity", b'{"a": [1, Infinity]}', "$.a[1]", "finite_numbers"),
    ("-Infinity", b'{"a": {"b": -Infinity}}', "$.a.b", "finite_numbers"),
    ("float overflow", b'{"x": 1e400}', "$.x", "finite_numbers"),
    ("negative overflow", b'{"x": -1.5e999}', "$.x", "finite_numbers"),
    ("2,000 deep", nested(2000), "$" + "[0]" * 64, "max_depth=64"),
    (
        "900 deep under keys",
        b'{"a": {"b": ' + nested(900) + b"}}",
        "$.a.b" + "[0]" * 62,
        "max_depth=64",
    ),
    ("65 deep", nested(65), "$" + "[0]" * 64, "max_depth=64"),
    (
        "deep after siblings",
        b'{"x": [1, 2, ' + nested(70) + b"]}",
        "$.x[2]" + "[0]" * 62,
        "max_depth=64",
    ),
    ("NUL in a value", b'{"s": "a\\u0000b"}', "$.s", "no_nul"),
    ("NUL in a key", b'{"k\\u0000": 1}', '$["k\\u0000"]', "no_nul"),
    (
        "lone surrogate",
        b'{"worker": {"names": ["a", "b", "c", "\\ud800"]}}',
        "$.worker.names[3]",
        "no_lone_surrogates",
    ),
    ("lone low surrogate", b'["\\udc00x"]', "$[0]", "no_lone_surrogates"),
    ("surrogate in a key", b'{"\\ud800": 1}', '$["\\ud800"]', "no_lone_surrogates"),
    ("400-digit integer", b'{"n": ' + b"9" * 400 + b"}", "$.n", "max_int_digits=30"),
    ("5,000-digit integer", b"[" + b"1" * 5000 + b"]", "$[0]", "max_int_digits=30"),
    ("2**63", b'{"n": 9223372036854775808}', "$.n", "int64"),
    ("-2**63 - 1", b'{"n": -9223372036854775809}', "$.n", "int64"),
    ("duplicate key", b'{"a": 1, "b": {"c": 1, "c": 2}}', "$.b.c", "unique_keys"),
    ("invalid UTF-8", b'{"a": "\xff"}', "$", "utf8"),
    ("encoded surrogate", b'{"a": "\xed\xa0\x80"}', "$", "utf8"),
    ("truncated", b'{"a": ', "$", "syntax"),
    ("empty", b"", "$", "syntax"),
    ("raw control character", b'{"a": "x\x00y"}', "$", "syntax"),
    ("long string", b'{"s": "' + b"x" * 100_001 + b'"}', "$.s", "max_string=100000"),
    (
        "long key",
        b'{"' + b"k" * 100_001 + b'": 1}',
        '$["' + "k" * 40 + '..."]',
        "max_string=100000",
    ),
    ("too many items", b"[" + b",".join([b"0"] * 10_001) + b"]", "$", "max_items=10000"),
    (
        "too many keys",
        json.dumps({f"k{i}": i for i in range(10_001)}).encode(),
        "$",
        "max_items=10000",
    ),
]

GOOD: list[tuple[str, bytes, Any]] = [
    (
        "object",
        b'{"a": 1, "b": [true, false, null], "c": "x"}',
        {"a": 1, "b": [True, False, None], "c": "x"},
    ),
    ("64 deep", nested(64), json.loads(nested(64))),
    ("int64 bounds", b"[9223372036854775807, -9223372036854775808]", [2**63 - 1, -(2**63)]),
    ("floats", b"[1.5, -0.0, 1e300, 2.5e-300]", [1.5, -0.0, 1e300, 2.5e-300]),
    ("escaped surrogate pair", b'{"e": "\\ud83d\\ude00"}', {"e": "\U0001f600"}),
    ("UTF-8", '{"name": "Zoë 東京"}'.encode(), {"name": "Zoë 東京"}),
    ("brackets in strings", b'{"s": "' + b"[{" * 100 + b'"}', {"s": "[{" * 100}),
    ("escaped quote", b'{"s": "a\\"[[[", "t": ' + nested(3) + b"}", {"s": 'a"[[[', "t": [[[]]]}),
    (
        "at the limits",
        b'{"s": "' + b"x" * 100_000 + b'", "n": ' + b"1" * 18 + b"}",
        {"s": "x" * 100_000, "n": int("1" * 18)},
    ),
    ("10,000 items", b"[" + b",".join([b"0"] * 10_000) + b"]", [0] * 10_000),
    ("scalar", b"42", 42),
]


@pytest.mark.parametrize(("body", "path", "limit"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_is_refused_naming_the_path_and_the_limit(
    body: bytes, path: str, limit: str
) -> None:
    with pytest.raises(IntakeError) as caught:
        parse_json(body)
    error = caught.value
    assert (error.path, error.limit) == (path, limit)
    assert error.as_dict() == {"error": f"{path}: {error.message}", "path": path, "limit": limit}
    # Whatever the input held, the refusal can be stored and logged: printable ASCII only.
    for text in (str(error), error.excerpt):
        assert text.isascii()
        assert text.isprintable()
        assert len(text) < 500


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in GOOD], ids=[c[0] for c in GOOD])
def test_good_input_passes_unchanged(body: bytes, expected: Any) -> None:
    assert parse_json(body) == expected
    assert json.dumps(parse_json(body)) == json.dumps(expected)


def test_a_refused_depth_costs_no_recursion() -> None:
    with pytest.raises(IntakeError, match="nested more than 64"):
        parse_json(nested(200_000))
    with pytest.raises(IntakeError, match="nested more than 64"):
        parse_json(b'{"a": ' * 100_000)


def test_messages_say_what_is_wrong() -> None:
    with pytest.raises(IntakeError, match=r"outside the 64-bit range") as caught:
        parse_json(b'{"worker": {"id": 18446744073709551616}}')
    assert caught.value.path == "$.worker.id"
    with pytest.raises(IntakeError, match=r"an integer of 400 digits \(at most 30\)"):
        parse_json(b"[" + b"7" * 400 + b"]")
    with pytest.raises(IntakeError, match=r"the key 'c' appears more than once"):
        parse_json(b'{"c": 1, "c": 1}')
    with pytest.raises(IntakeError, match=r"NaN is not a number JSON can store"):
        parse_json(b"NaN")


def test_limits_can_be_tightened() -> None:
    tight = Limits(max_depth=2, max_items=3, max_string=5, max_int_digits=3)
    assert parse_json(b'{"a": [1, 2, 3]}', limits=tight) == {"a": [1, 2, 3]}
    for body, limit in [
        (b"[[[]]]", "max_depth=2"),
        (b"[1, 2, 3, 4]", "max_items=3"),
        (b'["abcdef"]', "max_string=5"),
        (b"[1000]", "max_int_digits=3"),
    ]:
        with pytest.raises(IntakeError) as caught:
            parse_json(body, limits=tight)
        assert caught.value.limit == limit


@pytest.mark.parametrize(
    ("value", "path", "limit"),
    [
        ({"a": float("nan")}, "$.a", "finite_numbers"),
        ({"a": [float("inf")]}, "$.a[0]", "finite_numbers"),
        ({"n": 2**64}, "$.n", "int64"),
        ({"s": "\x00"}, "$.s", "no_nul"),
        (["\udfff"], "$[0]", "no_lone_surrogates"),
        ({"odd key": {1: 2}}, '$["odd key"]', "json"),
        ({"set": {1}}, "$.set", "json"),
    ],
)
def test_values_in_memory_follow_the_same_rule(value: Any, path: str, limit: str) -> None:
    with pytest.raises(IntakeError) as caught:
        check_value(value)
    assert (caught.value.path, caught.value.limit) == (path, limit)


def test_a_value_nested_far_too_deep_in_memory_is_refused_without_recursion() -> None:
    value: Any = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(IntakeError, match="nested more than 64"):
        check_value(value)
