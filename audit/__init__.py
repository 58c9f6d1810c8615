"""The audit log. Other apps write to it with `audit.record(...)` (or `record_many`, `batch`).

They are loaded on first use: this package is imported before Django's app registry is ready.
"""

from typing import Any

_SERVICES = ("record", "record_many", "batch")


def __getattr__(name: str) -> Any:
    if name in _SERVICES:
        from audit import services

        return getattr(services, name)
    raise AttributeError(f"module 'audit' has no attribute {name!r}")
