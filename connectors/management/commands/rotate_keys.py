"""`manage.py rotate_keys`: re-encrypt connector and webhook secrets under the newest
IDC_ENCRYPTION_KEYS key.

Key rotation: put a new key first in IDC_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then remove the old keys.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from connectors.services import connector_rotate_secrets
from workflows.services.triggers import endpoint_rotate_keys


class Command(BaseCommand):
    help = "Re-encrypt all connector and webhook secrets under the newest IDC_ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = connector_rotate_secrets()
        self.stdout.write(f"Rotated the secrets of {rotated} connector(s).")
        endpoints = endpoint_rotate_keys()
        self.stdout.write(f"Rotated the signing secrets of {endpoints} webhook endpoint(s).")
