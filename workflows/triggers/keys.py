"""Webhook signing secrets: Standard Webhooks `whsec_` keys, encrypted at rest with the
project's Fernet keys (connectors.crypto), never written anywhere in the clear."""

from __future__ import annotations

import base64
import secrets

from connectors.crypto import decrypt_json, encrypt_json

PREFIX = "whsec_"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def new_token() -> str:
    """The unguessable part of `/hooks/<token>/` (256 bits)."""
    return secrets.token_urlsafe(32)


def seal(secret: str) -> str:
    return encrypt_json({"secret": secret})


def unseal(sealed: str) -> str:
    return decrypt_json(sealed).get("secret", "") if sealed else ""
