"""Connector secrets encrypted at rest with MultiFernet: newest key first, older keys still read.

Keys come only from IDC_ENCRYPTION_KEYS, never from SECRET_KEY, so rotating one does not
silently invalidate (or expose) the other.
"""

from __future__ import annotations

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.core.exceptions import ImproperlyConfigured

from idconfluence.conf import idc_settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured(
            "IDC_ENCRYPTION_KEYS is empty: connector secrets cannot be stored"
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "IDC_ENCRYPTION_KEYS must hold Fernet keys (urlsafe base64 of 32 bytes)"
        ) from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(idc_settings.ENCRYPTION_KEYS))


def encrypt_json(value: dict[str, str]) -> str:
    return fernet().encrypt(json.dumps(value, sort_keys=True).encode()).decode()


def decrypt_json(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        secrets: dict[str, str] = json.loads(fernet().decrypt(token.encode()))
        return secrets
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "a connector secret cannot be decrypted with IDC_ENCRYPTION_KEYS (key removed?)"
        ) from exc


def rotate(token: str) -> str:
    """Re-encrypt under the newest key (MultiFernet.rotate)."""
    return fernet().rotate(token.encode()).decode() if token else token


def generate_key() -> str:
    return Fernet.generate_key().decode()
