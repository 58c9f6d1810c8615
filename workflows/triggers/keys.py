"""Webhook signing secrets: Standard Webhooks `whsec_` keys, encrypted at rest with the
project's Fernet keys (connectors.crypto), never written anywhere in the clear."""

from __future__ import annotations

import base64
import functools
import secrets

from connectors.crypto import decrypt_json, encrypt_json
from idconfluence.conf import idc_settings

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_token() -> str:
    """The unguessable part of `/hooks/<token>/` (256 bits)."""
    return secrets.token_urlsafe(32)


def seal(secret: str) -> str:
    return encrypt_json({"secret": secret})


def unseal(sealed: str) -> str:
    return _unsealed(sealed, tuple(idc_settings.ENCRYPTION_KEYS)) if sealed else ""


@functools.lru_cache(maxsize=1024)
def _unsealed(sealed: str, keys: tuple[str, ...]) -> str:
    """Decrypted once per process and key set, not on every delivery's signature check (a
    twentieth of the acknowledgement's CPU). Keyed by the ciphertext, so a rotated secret is a
    new entry, and by the keys, so a removed key still fails. The secret is in this process's
    memory either way, as the keys that decrypt it are."""
    return decrypt_json(sealed).get("secret", "")
