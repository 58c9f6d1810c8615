"""Trigger ingress helpers without models: reading a bounded body, authenticating a sender,
webhook secrets, and signed resume tokens. Services in workflows/services/ put them together."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def trigger_setting(name: str, default: Any) -> Any:
    """An IDCONFLUENCE setting of the triggers, with its default when the project sets none."""
    return getattr(settings, "IDCONFLUENCE", {}).get(name, default)
