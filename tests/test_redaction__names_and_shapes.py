"""The one redaction rule (`idconfluence.redaction`), both ways: what must be masked and what must
stay in clear, by key name (whole name tokens) and by value shape (whatever the key)."""

from __future__ import annotations

import pytest

from idconfluence.redaction import (
    MAX_DEPTH,
    REDACTED,
    TOO_DEEP,
    is_secret_key,
    redact,
    redact_text,
)

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"  # noqa: E501
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc==\n-----END RSA PRIVATE KEY-----"
GHP = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"

SECRET_KEYS = [
    "password", "db_password", "DB_PASSWORD", "password2", "passwd", "pwd", "passphrase",
    "secret", "client_secret", "clientSecret", "awsSecretAccessKey", "secret_key",
    "token", "access_token", "refresh_token", "id_token", "accessToken", "csrf-token",
    "api_key", "apikey", "apiKey", "APIKEY", "X-Api-Key", "x-api-key", "access_key",
    "accessKeyId", "private_key", "privateKey", "ssh_key", "signing_key", "session_key",
    "Authorization", "Proxy-Authorization", "HTTPAuthorization", "cookie", "Cookie",
    "set-cookie", "Set-Cookie", "jwt", "user.jwt", "otp", "user.otp", "totp", "otp_code",
    "pin", "card.pin", "pin_code", "credential", "credentials", "aws.credentials", "session",
    "user_session", "session_id", "sessionId", "sessionid", "signature", "webhook-signature",
    "X-Hub-Signature-256", "bearer", "smtp_pass", "basic_auth", "auth", "tokens",
]  # fmt: skip

CLEAR_KEYS = [
    "passport_number", "passportNumber", "compass", "spinner", "keyboard", "key", "keys",
    "primary_key", "sort_key", "foreign_keys", "tokenizer_name", "pinned", "pinyin",
    "bypass_count", "pass_count", "passing", "session_timeout", "auth_type", "author",
    "authority", "description", "username", "email", "url", "id", "otpauth_issuer_label",
    "signed_at", "secretary", "cookbook", "api", "accessible", "private",
]  # fmt: skip


@pytest.mark.parametrize("key", SECRET_KEYS)
def test_a_secret_bearing_key_is_masked_whole(key: str) -> None:
    assert is_secret_key(key)
    assert redact({key: {"nested": "anything"}, "other": 1}) == {key: REDACTED, "other": 1}


@pytest.mark.parametrize("key", CLEAR_KEYS)
def test_a_harmless_key_is_kept(key: str) -> None:
    assert not is_secret_key(key)
    assert redact({key: "plain value"}) == {key: "plain value"}


MASKED_TEXT = [
    ("Bearer abc.def", REDACTED),
    ("Authorization: Bearer tok-SECRET-123 sent", f"Authorization: {REDACTED} sent"),
    ("BEARER abcdefghijklmnopqrstuvwx", REDACTED),
    ("Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", REDACTED),
    ("header Basic dXNlcjpwYXNz here", f"header {REDACTED} here"),
    (JWT, REDACTED),
    (f"got jwt={JWT}; retry", f"got jwt={REDACTED}; retry"),
    (PEM, REDACTED),
    (f"key:\n{PEM}\nend", f"key:\n{REDACTED}\nend"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk (truncated", REDACTED),
    ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nx\n-----END ENCRYPTED PRIVATE KEY-----", REDACTED),
    ("aws AKIAIOSFODNN7EXAMPLE denied", f"aws {REDACTED} denied"),
    ("ASIAY34FZKBOKMUTVV7A", REDACTED),
    ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", f"stripe {REDACTED}"),
    ("rk_test_51H8abcdefGHIJ", REDACTED),
    (f"clone with {GHP}", f"clone with {REDACTED}"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", REDACTED),
    ("slack xoxb-123456789012-abcdefABCDEF", f"slack {REDACTED}"),
    ("postgres://app:hunter2@db:5432/x", f"postgres://app:{REDACTED}@db:5432/x"),
    ("boom with Bearer tok-1 and AKIAIOSFODNN7EXAMPLE", f"boom with {REDACTED} and {REDACTED}"),
    # a scheme word after "token" is the credential's scheme, not the credential
    ("token Bearer abcdefghijklmnopqrstuvwx", f"token {REDACTED}"),
    ("refresh token Token abcdefghijklmnopqrstu ok", f"refresh token {REDACTED} ok"),
    ("the token Basic dXNlcjpwYXNzd29yZA== x", f"the token {REDACTED} x"),
]  # fmt: skip

CLEAR_TEXT = [
    "Basic information is required",
    "bearer of bad news",
    "token request refused: HTTP 401",
    "the token expired",
    "passport_number 12345",
    "eyJ is how a JWT header starts",
    "AKIA is the prefix of an AWS key id",
    "sk_live_ is a prefix",
    "ghp_short",
    "https://example.com/path?a=1",
    "mailto:someone@example.com",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkq\n-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    "a.b.c",
    "",
    "short",
]


@pytest.mark.parametrize(("text", "expected"), MASKED_TEXT)
def test_a_credential_shaped_span_is_masked_and_the_rest_kept(text: str, expected: str) -> None:
    assert redact_text(text) == expected
    assert redact({"message": text}) == {"message": expected}  # whatever the key
    assert redact([text]) == [expected]


@pytest.mark.parametrize("text", CLEAR_TEXT)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact_text(text) == text
    assert redact({"note": text}) == {"note": text}


def test_the_mask_is_the_callers() -> None:
    masked = redact({"password": "x", "h": "Bearer abc.def"}, "***")
    assert masked == {"password": "***", "h": "***"}


def test_the_copy_is_json_ready() -> None:
    value = {1: ("a\x00b", {"x"}), "k\x00ey": frozenset({2}), "n": None, "f": 1.5, "b": True}
    assert redact(value) == {"1": ["ab", ["x"]], "key": [2], "n": None, "f": 1.5, "b": True}


def test_the_original_is_not_changed() -> None:
    original = {"password": "p", "list": [{"token": "t"}], "text": "Bearer abc.def"}
    redact(original)
    assert original == {"password": "p", "list": [{"token": "t"}], "text": "Bearer abc.def"}


def test_deep_nesting_does_not_hit_the_recursion_limit_and_is_cut_where_jsonb_would_fail() -> None:
    deep: object = {"password": "p"}
    for i in range(50_000):
        deep = {"k": deep} if i % 2 else [deep]
    out = redact(deep)
    for i in reversed(range(50_000 - MAX_DEPTH, 50_000)):
        out = out["k"] if i % 2 else out[0]
    assert out == TOO_DEEP == "[nested deeper than 64 levels: not kept]"

    kept: object = {"password": "p"}
    for _ in range(MAX_DEPTH - 1):
        kept = [kept]
    assert str(redact(kept)).count("[") == MAX_DEPTH and REDACTED in str(redact(kept))


def test_what_a_target_answers_is_always_storable() -> None:
    answer = {"id": float("nan"), "n\x00ame": "a\x00b", "odd": "x\ud800y", "w": [float("-inf")]}
    assert redact(answer) == {"id": "NaN", "name": "ab", "odd": "x\ufffdy", "w": ["-Infinity"]}


def test_shared_and_cyclic_containers_are_converted_once() -> None:
    shared = {"token": "t"}
    cyclic: list[object] = [1]
    cyclic.append(cyclic)
    out = redact({"a": shared, "b": shared, "c": cyclic})
    assert out["a"] == out["b"] == {"token": REDACTED}
    assert out["c"][0] == 1 and out["c"][1] is out["c"]


def test_order_of_keys_and_items_is_kept() -> None:
    assert list(redact({"z": 1, "password": 2, "a": [3, "4", None]})) == ["z", "password", "a"]
    assert redact([5, "6", [7]]) == [5, "6", [7]]


def test_a_large_payload_is_redacted_whole() -> None:
    """(Its speed is not timed here: timed unit tests flake on a loaded machine. It is linear in
    the payload's size, one pass with an explicit stack.)"""
    payload = [
        {"id": i, "name": f"user {i}", "email": f"u{i}@example.com", "password": "x",
         "groups": ["a", "b"], "note": "nothing secret here, just a longer line of text"}
        for i in range(20_000)
    ]  # fmt: skip
    out = redact(payload)
    assert out[123]["password"] == REDACTED and out[123]["note"].startswith("nothing")
    assert len(out) == 20_000 and all(row["password"] == REDACTED for row in out)
