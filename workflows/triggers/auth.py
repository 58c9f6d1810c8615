"""Who may deliver to a webhook: Standard Webhooks signatures (webhook-id, webhook-timestamp,
webhook-signature over `id.timestamp.body`, timestamps within 5 minutes), or, for senders that
cannot sign, a shared-secret header or HTTP basic auth. Every comparison is constant-time."""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping, Sequence

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

_MESSAGES = {
    "Missing required headers": "missing webhook-id, webhook-timestamp or webhook-signature",
    "Invalid Signature Headers": "webhook-timestamp is not a Unix time",
    "Message timestamp too old": "webhook-timestamp is more than 5 minutes old",
    "Message timestamp too new": "webhook-timestamp is more than 5 minutes in the future",
    "No matching signature found": "the signature does not match",
}


class Unauthorized(Exception):
    """The delivery did not prove it comes from the sender; the message says why."""


def authenticate(
    *,
    auth: Mapping[str, str],
    secrets: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
) -> str:
    """Check the delivery (`headers` with lower-case names); returns its webhook-id, if any."""
    if not secrets:
        raise Unauthorized("this endpoint has no secret yet: rotate one in the admin")
    mode = auth.get("mode", "standard")
    if mode == "standard":
        _verify_signature(secrets, headers, body)
    elif mode == "header":
        given = headers.get(auth["header"].lower(), "")
        if not given:
            raise Unauthorized(f"missing the {auth['header']} header")
        if not _any_equal(given, secrets):
            raise Unauthorized(f"the {auth['header']} header does not match")
    elif mode == "basic":
        _verify_basic(auth["username"], secrets, headers.get("authorization", ""))
    else:
        raise Unauthorized(f"unknown authentication mode {mode!r}")
    return headers.get("webhook-id", "")[:255]


def _verify_signature(secrets: Sequence[str], headers: Mapping[str, str], body: bytes) -> None:
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise Unauthorized("the body is not UTF-8, so its signature cannot match") from None
    reason = ""
    for secret in secrets:
        try:
            Webhook(secret).verify(text, dict(headers), json_parse=False)
            return
        except WebhookVerificationError as exc:
            reason = _MESSAGES.get(str(exc), str(exc))
        except (ValueError, binascii.Error):
            reason = "webhook-signature is malformed (expected 'v1,<base64>')"
    raise Unauthorized(reason)


def _verify_basic(username: str, secrets: Sequence[str], header: str) -> None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise Unauthorized("missing HTTP basic credentials")
    try:
        user, _, password = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("malformed HTTP basic credentials") from None
    user_ok = hmac.compare_digest(user.encode(), username.encode())
    if not (_any_equal(password, secrets) and user_ok):
        raise Unauthorized("wrong HTTP basic credentials")


def _any_equal(given: str, secrets: Sequence[str]) -> bool:
    matches = [hmac.compare_digest(given.encode(), secret.encode()) for secret in secrets]
    return any(matches)
