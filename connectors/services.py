"""Connector operations other apps call: `get(name)` hands out a ready connector instance."""

from __future__ import annotations

from connectors.base import Connector as ConnectorType
from connectors.models import Connector


class ConnectorNotFound(LookupError):
    pass


def get(name: str) -> ConnectorType:
    """A connector instance built from the current config (so a fixed config takes effect on retry)."""
    try:
        row = Connector.objects.get(name=name)
    except Connector.DoesNotExist:
        raise ConnectorNotFound(f"no connector named {name!r}") from None
    if not row.enabled:
        raise ConnectorNotFound(f"connector {name!r} is disabled")
    instance: ConnectorType = row.instance()
    return instance


def supported_operations() -> dict[str, frozenset[str]]:
    """Each configured connector's operations, for validating a draft before publishing."""
    from connectors.registry import all_types

    types = all_types()
    return {
        name: (types[type_name].operations if type_name in types else frozenset())
        for name, type_name in Connector.objects.values_list("name", "type")
    }
