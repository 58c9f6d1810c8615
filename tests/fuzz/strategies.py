"""Hypothesis strategies for hostile JSON text: deep, wide, unicode (NUL, lone surrogates, as
escapes or as raw encoded bytes), huge integers, NaN/Infinity tokens, duplicate keys, and
near-valid workflow documents whose fields hold all of that."""

from __future__ import annotations

import json

from hypothesis import strategies as st

# Every code point, surrogates included (Hypothesis leaves out category Cs unless asked).
CHARS = st.characters(codec=None, categories=None)
TEXT = st.one_of(
    st.text(max_size=20),
    st.text(CHARS, max_size=20),
    st.sampled_from(["", "\x00", "\ud800", "\udfff", "\ud83d\ude00", "a\x00b", "Zoë", "\u2028"]),
)

NUMBER_TOKENS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.integers(min_value=-(2**63) - 2, max_value=2**63 + 1).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: json.dumps(f)),
    st.sampled_from(
        ["NaN", "Infinity", "-Infinity", "1e400", "-1.5e999", "1e-400", "0.0", "-0", "9" * 400]
    ),
    st.integers(min_value=31, max_value=5000).map(lambda n: "1" * n),
)


@st.composite
def string_token(draw: st.DrawFn) -> bytes:
    """A JSON string as bytes: escaped to ASCII, or raw UTF-8 (lone surrogates then become the
    encoded bytes ED A0 80 that strict UTF-8 refuses)."""
    text = draw(TEXT)
    if draw(st.booleans()):
        return json.dumps(text, ensure_ascii=True).encode()
    return json.dumps(text, ensure_ascii=False).encode("utf-8", "surrogatepass")


SCALARS = st.one_of(
    st.sampled_from([b"true", b"false", b"null"]),
    NUMBER_TOKENS.map(str.encode),
    string_token(),
)


def _array(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.lists(children, max_size=6).map(lambda items: b"[" + b",".join(items) + b"]")


def _object(children: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    members = st.lists(st.tuples(string_token(), children), max_size=6)
    dup = st.booleans()

    def build(pairs: list[tuple[bytes, bytes]], duplicate: bool) -> bytes:
        if duplicate and pairs:
            pairs = [*pairs, pairs[0]]
        return b"{" + b",".join(k + b":" + v for k, v in pairs) + b"}"

    return st.builds(build, members, dup)


NESTED = st.recursive(SCALARS, lambda c: st.one_of(_array(c), _object(c)), max_leaves=30)


@st.composite
def deep(draw: st.DrawFn) -> bytes:
    depth = draw(st.integers(min_value=1, max_value=3000))
    inner = draw(st.one_of(st.just(b""), SCALARS))
    if draw(st.booleans()):
        return b'{"d":' * depth + inner + b"}" * depth
    return b"[" * depth + inner + b"]" * depth


@st.composite
def wide(draw: st.DrawFn) -> bytes:
    count = draw(st.sampled_from([9_999, 10_000, 10_001, 12_000]))
    if draw(st.booleans()):
        return b"[" + b",".join([b"0"] * count) + b"]"
    return b"{" + b",".join(b'"k%d":0' % i for i in range(count)) + b"}"


@st.composite
def mangled(draw: st.DrawFn, base: st.SearchStrategy[bytes]) -> bytes:
    """`base`, sometimes cut short or with a few bytes replaced or inserted."""
    body = draw(base)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        where = draw(st.integers(min_value=0, max_value=len(body)))
        junk = draw(st.binary(min_size=0, max_size=3))
        body = body[:where] + junk + body[where + draw(st.integers(0, 2)) :]
    return body


JSON_BYTES = st.one_of(
    NESTED,
    NESTED.map(lambda v: b'{"payload":' + v + b"}"),
    deep(),
    wide(),
    mangled(NESTED),
    st.binary(max_size=40),
)


POSITION = st.tuples(NUMBER_TOKENS, NUMBER_TOKENS).map(
    lambda xy: b'{"x":' + xy[0].encode() + b',"y":' + xy[1].encode() + b"}"
)


@st.composite
def document_bytes(draw: st.DrawFn) -> bytes:
    """A workflow document: mostly the right shape, with hostile values in its fields."""
    field = st.one_of(SCALARS, NESTED)
    hostile = draw(st.integers(min_value=0, max_value=3)) == 0  # hostile shape, or just values
    slug = draw(st.one_of(string_token(), field)) if hostile else b'"fuzz-doc"'
    name = draw(st.one_of(string_token(), field)) if hostile else b'"Fuzz"'
    blocks = []
    keys = draw(
        st.lists(
            st.sampled_from(["start", "done", "x", "Bad-Key", "a" * 65]), min_size=0, max_size=4
        )
    )
    for key in keys:
        kind = draw(st.sampled_from([b'"trigger"', b'"logic"', b'"action"', b'"nope"', b"1"]))
        types = st.sampled_from([b'"manual"', b'"noop"', b'"webhook"'])
        type_ = draw(st.one_of(types, field) if hostile else types)
        position = draw(st.one_of(POSITION, field) if hostile else POSITION)
        config = draw(st.one_of(st.just(b"{}"), field))
        label = draw(string_token())
        blocks.append(
            b'{"key":%s,"kind":%s,"type":%s,"label":%s,"config":%s,"position":%s}'
            % (json.dumps(key).encode(), kind, type_, label, config, position)
        )
    edges = []
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        source, target = (
            draw(st.sampled_from(keys or ["start"])),
            draw(st.sampled_from(keys or ["done"])),
        )
        outcome = draw(st.one_of(st.just(b'"next"'), string_token(), field))
        edges.append(
            b'{"from":%s,"to":%s,"outcome":%s}'
            % (json.dumps(source).encode(), json.dumps(target).encode(), outcome)
        )
    body = (
        b'{"format":"idconfluence.workflow/v1","workflow":{"slug":%s,"name":%s},'
        b'"blocks":[%s],"edges":[%s]}' % (slug, name, b",".join(blocks), b",".join(edges))
    )
    return draw(st.one_of(st.just(body), mangled(st.just(body))))


# Values the intake rule accepts: what is left to break is the schema, the model and the database.
SAFE_TEXT = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30
)
SAFE_JSON = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=False, allow_infinity=False),
        SAFE_TEXT,
    ),
    lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(SAFE_TEXT, c, max_size=4)),
    max_leaves=15,
)
KEYS = st.sampled_from(["start", "done", "grant", "notify", "x", "a" * 64])
COORD = st.one_of(
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
)


@st.composite
def plausible_document(draw: st.DrawFn) -> bytes:
    """A document that passes the intake rule and usually the schema: keys may repeat, an edge
    may name a missing block or repeat an outcome, positions span int64, texts any length."""
    keys = draw(st.lists(KEYS, min_size=1, max_size=5, unique=draw(st.booleans())))
    blocks = [
        {
            "key": key,
            "kind": draw(st.sampled_from(["trigger", "logic", "action", "human_input"])),
            "type": draw(st.one_of(st.sampled_from(["manual", "noop", "webhook"]), SAFE_TEXT)),
            "label": draw(SAFE_TEXT),
            "config": draw(st.dictionaries(SAFE_TEXT, SAFE_JSON, max_size=3)),
            "position": {"x": draw(COORD), "y": draw(COORD)},
        }
        for key in keys
    ]
    ends = st.one_of(st.sampled_from(keys), st.sampled_from(keys), KEYS)
    edges = [
        {
            "from": draw(ends),
            "to": draw(ends),
            "outcome": draw(st.sampled_from(["next", "true", "false", "approved"])),
        }
        for _ in range(draw(st.integers(min_value=0, max_value=4)))
    ]
    slug = draw(st.one_of(st.just("fuzz-doc"), st.from_regex(r"[-a-z0-9_]{1,100}", fullmatch=True)))
    name = draw(st.one_of(st.just("Fuzz"), SAFE_TEXT))
    document = {
        "format": "idconfluence.workflow/v1",
        "workflow": {"slug": slug, "name": name, "description": draw(SAFE_TEXT)},
        "blocks": blocks,
        "edges": edges,
    }
    return json.dumps(document, ensure_ascii=draw(st.booleans())).encode()


DOCUMENT_BYTES = st.one_of(plausible_document(), plausible_document(), document_bytes())
