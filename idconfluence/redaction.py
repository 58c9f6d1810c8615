"""The one rule for keeping secrets out of anything stored or shown (steps, audit details, webhook
deliveries). `redact(value, mask)` returns a JSON-ready copy of `value` (mappings become dicts with
`str` keys, lists/tuples/sets become lists; and it is always storable in jsonb, whatever a target
answered: NUL characters are dropped from strings and keys, a lone surrogate becomes U+FFFD, and a
non-finite float becomes the string "NaN", "Infinity" or "-Infinity", a container nested deeper
than `MAX_DEPTH` becomes `TOO_DEEP`) in which:

1. **By key name.** The whole value under a secret-bearing key is replaced by `mask`. A key is split
   into lower-cased name tokens on every non-alphanumeric character (`_`, `-`, `.`, space, ...), at
   camelCase and ACRONYMCase boundaries and between letters and digits: `awsSecretAccessKey` ->
   `aws secret access key`, `X-Api-Key` -> `x api key`, `db_password2` -> `db password 2`. The key
   is secret when
   - any token is in `SECRET_TOKENS` (password, passwd, pwd, passphrase, passcode, secret, token,
     authorization, cookie, credential(s), signature, jwt, otp, totp, hotp, pin, bearer, apikey,
     accesstoken, sessionid, privatekey, ... also plurals and the run-together spellings), or
   - its last token is in `SECRET_LAST_TOKENS` (`pass`, `auth`, `session`: `smtp_pass`,
     `basic_auth`, `user_session` are secret, `pass_count`, `auth_type`, `session_timeout` are
     not), or
   - a token in `KEY_QUALIFIERS` (api, access, private, ssh, signing, encryption, client, ...) is
     directly followed by `key`/`keys`/`id` where listed (`api_key`, `x-api-key`, `ssh_key`,
     `session_id`; `primary_key`, `key`, `keyboard` are not).
   Tokens are compared whole, never as substrings, so `passport_number`, `compass`, `spinner`,
   `keyboard`, `pinned`, `bypass_count` and `tokenizer_name` are kept (decided: `tokenizer` names
   a text tokenizer, not a credential). `tokens` *is* listed, so `max_tokens` is masked: a list
   of tokens must not leak, and masking a count is the cheap side of that trade.
2. **By value shape, whatever the key.** In every string, each span that looks like a credential
   is replaced by `mask` and the rest of the text is kept (`VALUE_SHAPES`): `Bearer <token>` and
   `Token <token>` (the token must look like one: 16+ characters, or a digit or one of `._~+/=-`,
   so "bearer of news" and "token request refused" stay), `Basic <base64 of user:pass>`, JWTs
   (`eyJ...`.`...`.`...`), PEM private key blocks (`-----BEGIN ... PRIVATE KEY-----` to the END
   line, or to the end of the text when truncated), AWS access key ids (`AKIA`/`ASIA` + 16),
   Stripe secret/restricted keys and webhook secrets (`sk_live_`, `sk_test_`, `rk_live_`,
   `whsec_`), GitHub tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), Slack tokens
   (`xoxb-`...), Google API keys (`AIza`...) and the password of a URL (`scheme://user:PASSWORD@`).

The walk is iterative (an explicit stack, so a deeply nested value cannot hit the recursion
limit), a container met twice (or cyclically) is converted once, and key decisions are cached.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = ["REDACTED", "is_secret_key", "key_tokens", "redact", "redact_text", "storable"]

REDACTED = "[redacted]"
#: Containers nested deeper than this are stored as TOO_DEEP (the intake depth limit, so anything
#: that came in is kept whole; only a target's answer can be deeper).
MAX_DEPTH = 64
TOO_DEEP = f"[nested deeper than {MAX_DEPTH} levels: not kept]"

SECRET_TOKENS = frozenset(
    {
        "password", "passwords", "passwd", "pwd", "passphrase", "passcode",
        "secret", "secrets", "clientsecret", "secretkey",
        "token", "tokens", "accesstoken", "refreshtoken", "idtoken", "authtoken", "csrftoken",
        "apikey", "apikeys", "accesskey", "privatekey", "sshkey",
        "authorization", "authorisation", "bearer",
        "cookie", "cookies", "setcookie",
        "credential", "credentials", "creds",
        "signature", "jwt", "otp", "totp", "hotp", "pin", "sessionid",
    }
)  # fmt: skip
SECRET_LAST_TOKENS = frozenset({"pass", "auth", "session"})
# qualifier -> the next tokens that make the pair secret (`api key`, `session id`).
_KEY = frozenset({"key", "keys"})
KEY_QUALIFIERS: dict[str, frozenset[str]] = {
    "api": _KEY,
    "access": _KEY,
    "private": _KEY,
    "ssh": _KEY,
    "signing": _KEY,
    "encryption": _KEY,
    "master": _KEY,
    "client": _KEY,
    "hmac": _KEY,
    "shared": _KEY,
    "deploy": _KEY,
    "license": _KEY,
    "session": _KEY | {"id", "key"},
}

_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def key_tokens(key: str) -> list[str]:
    """The lower-cased name tokens of `key`: `awsSecretAccessKey` -> aws, secret, access, key."""
    return [part.lower() for part in _PARTS.findall(key)]


@lru_cache(maxsize=8192)
def is_secret_key(key: str) -> bool:
    """Whether the value under `key` is masked whole (rule 1 of the module docstring)."""
    tokens = key_tokens(key)
    if not tokens:
        return False
    if tokens[-1] in SECRET_LAST_TOKENS:
        return True
    for i, token in enumerate(tokens):
        if token in SECRET_TOKENS:
            return True
        following = KEY_QUALIFIERS.get(token)
        if following and i + 1 < len(tokens) and tokens[i + 1] in following:
            return True
    return False


_VALUE_CHARS = r"[A-Za-z0-9._~+/=-]"
VALUE_SHAPES = re.compile(
    r"(?P<pem>-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----"
    r"[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|\Z))"
    # the credential may not be a scheme word itself: in "token Bearer <value>" the value is
    # the Bearer's, and "token" must not swallow the word that precedes it
    rf"|(?P<scheme>\b(?:[Bb]earer|BEARER|[Tt]oken|TOKEN)[ \t]+"
    rf"(?P<credential>(?!(?:[Bb]earer|BEARER|[Tt]oken|TOKEN|[Bb]asic|BASIC)\b){_VALUE_CHARS}+))"
    r"|(?P<basic>\b(?:[Bb]asic|BASIC)[ \t]+(?P<b64>[A-Za-z0-9+/]{4,}={0,2}))"
    r"|(?P<jwt>(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*)"
    r"|(?P<aws>(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9]))"
    r"|(?P<vendor>(?<![A-Za-z0-9])(?:"
    r"(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{10,}|whsec_[0-9A-Za-z+/=]{10,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}))"
    r"|(?P<userinfo>(?<=://)[^/\s:@]*:)(?P<urlpass>[^/\s@]+)(?=@)"
)


def _plausible_credential(text: str) -> bool:
    return len(text) >= 16 or any(c.isdigit() or c in "._~+/=-" for c in text)


def _basic_credentials(text: str) -> bool:
    try:
        return b":" in base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False


def redact_text(text: str, mask: str = REDACTED) -> str:
    """`text` with each credential-shaped span masked (rule 2), storable (see the module)."""
    text = _storable(text)
    if len(text) < 8:  # shorter than the shortest shape ("Bearer 1")
        return text

    def replace(match: re.Match[str]) -> str:
        if match.group("scheme") is not None:
            return mask if _plausible_credential(match.group("credential")) else match.group(0)
        if match.group("basic") is not None:
            return mask if _basic_credentials(match.group("b64")) else match.group(0)
        if match.group("urlpass") is not None:
            return match.group("userinfo") + mask
        return mask

    return VALUE_SHAPES.sub(replace, text)


def storable(value: Any) -> Any:
    """A copy of `value` that jsonb takes (the storability rule above), nothing masked: for a
    run's context, which later blocks read."""
    return redact(value, mask=None)


def redact(value: Any, mask: str | None = REDACTED) -> Any:
    """A copy of `value` with secret-bearing keys and credential-shaped strings masked (with
    `mask=None`: only made storable)."""
    root: list[Any] = [None]
    done: dict[int, Any] = {}  # id(container) -> its copy: shared or cyclic parts converted once
    stack: list[tuple[Any, Any, Any, int]] = [(value, root, 0, 0)]
    while stack:
        item, parent, slot, depth = stack.pop()
        if isinstance(item, str):
            parent[slot] = _storable(item) if mask is None else redact_text(item, mask)
        elif isinstance(item, Mapping | list | tuple | set | frozenset):
            copy = done.get(id(item))
            if copy is None and depth >= MAX_DEPTH:
                copy = TOO_DEEP
            elif copy is None:
                if isinstance(item, Mapping):
                    copy = {}
                    pending = []
                    for k, v in item.items():
                        key = _storable(str(k))
                        copy[key] = mask
                        if mask is None or not is_secret_key(key):
                            pending.append((v, copy, key, depth + 1))
                    stack.extend(reversed(pending))
                else:
                    copy = [None] * len(item)
                    stack.extend(
                        (v, copy, i, depth + 1) for i, v in reversed(list(enumerate(item)))
                    )
                done[id(item)] = copy
            parent[slot] = copy
        elif isinstance(item, float) and not math.isfinite(item):
            parent[slot] = NON_FINITE[int(math.copysign(1, item)) if math.isinf(item) else 0]
        else:
            parent[slot] = item
    return root[0]


NON_FINITE = {0: "NaN", 1: "Infinity", -1: "-Infinity"}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable(text: str) -> str:
    """Drop NUL (jsonb refuses it); replace lone surrogates (they cannot be encoded as UTF-8)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    if _LONE_SURROGATE.search(text):
        text = _LONE_SURROGATE.sub("\ufffd", text)
    return text
