"""`manage.py rotate_keys` re-encrypts webhook signing secrets too: once it has run, the old
encryption key can be removed and every endpoint still verifies its deliveries."""

from __future__ import annotations

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from audit.models import AuditEvent
from tests.triggers.conftest import webhook_sender
from workflows.services.triggers import endpoint_rotate_secret, endpoint_secrets
from workflows.triggers import keys as crypto_keys


def keys(*keys: str) -> override_settings:
    return override_settings(IDCONFLUENCE={**settings.IDCONFLUENCE, "ENCRYPTION_KEYS": list(keys)})


@pytest.mark.django_db
def test_rotate_keys_reencrypts_current_and_previous_webhook_secrets(client: Client) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with keys(old):
        sender = webhook_sender(client, slug="hires")
        previous = sender.secret
        current = endpoint_rotate_secret(endpoint=sender.endpoint, actor=None)

    out = StringIO()
    with keys(new, old):
        call_command("rotate_keys", stdout=out)
    assert "Rotated the signing secrets of 1 webhook endpoint(s)." in out.getvalue()

    sender.endpoint.refresh_from_db()
    with keys(new):  # the old key is gone: both secrets still decrypt
        assert endpoint_secrets(sender.endpoint, timezone.now()) == [current, previous]
    with keys(old), pytest.raises(ImproperlyConfigured):
        endpoint_secrets(sender.endpoint, timezone.now())
    assert AuditEvent.objects.get(action="webhook.keys_rotated").details == {"endpoints": 1}


def test_a_secret_is_decrypted_once_per_key_set_and_a_removed_key_still_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The ack decrypts the endpoint's secret from the process's cache; changing the keys is a
    new entry, so a secret whose key was removed does not verify from memory."""
    old, other = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    calls: list[str] = []
    real = crypto_keys.decrypt_json
    monkeypatch.setattr(
        crypto_keys, "decrypt_json", lambda token: calls.append(token) or real(token)
    )
    with keys(old):
        sealed = crypto_keys.seal("whsec_x")
        assert [crypto_keys.unseal(sealed) for _ in range(3)] == ["whsec_x"] * 3
    assert calls == [sealed]
    with keys(other), pytest.raises(ImproperlyConfigured):
        crypto_keys.unseal(sealed)
