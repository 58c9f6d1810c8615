"""Issuing, revoking and checking API tokens; issuing and revoking are audited.

A token reads `idc_<prefix>_<secret>`: the prefix finds the row, the SHA-256 of the whole token
is compared in constant time. The token is returned once, when issued, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import record
from idconfluence.apitokens.models import ApiToken

PREFIX_CHARS = 12
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is a hint, not a write per request


class BadToken(Exception):
    """The token cannot authenticate; the message says why (for the 401 body)."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_issue(*, token: ApiToken, actor: Any) -> str:
    """Save the unsaved `token` with a new secret; returns the token text, shown once."""
    prefix = secrets.token_hex(PREFIX_CHARS // 2)
    text = f"idc_{prefix}_{secrets.token_urlsafe(32)}"
    token.prefix, token.token_hash = prefix, _hash(text)
    token.created_by = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        token.save()
        record(
            action="api_token.issued",
            actor=actor,
            target=token,
            details={
                "user": token.user.get_username(),
                "scope": token.scope,
                "expires_at": token.expires_at.isoformat() if token.expires_at else None,
            },
        )
    return text


def token_revoke(*, token: ApiToken, actor: Any) -> bool:
    """Revoke now; False if it was revoked already (nothing recorded twice)."""
    with transaction.atomic():
        now = timezone.now()
        revoked_by = actor if getattr(actor, "is_authenticated", False) else None
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=revoked_by
        )
        if updated:
            record(action="api_token.revoked", actor=actor, target=token)
    token.refresh_from_db()
    return bool(updated)


def token_authenticate(text: str) -> ApiToken:
    """The live token `text` names, or BadToken saying why not."""
    if not (text.startswith("idc_") and len(text) < 200 and text.isascii()):
        raise BadToken("This is not an idconfluence API token.")
    prefix = text[4 : 4 + PREFIX_CHARS]
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.token_hash, _hash(text)):
        raise BadToken("This API token is not valid.")
    refusal = token.refusal()
    if refusal:
        raise BadToken(refusal)
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
