"""The registry of connector types, by name: built-in types plus any named in settings."""

from __future__ import annotations

from django.utils.module_loading import import_string

from connectors.base import Connector
from idconfluence.conf import idc_settings

BUILTIN_TYPES: tuple[str, ...] = (
    "connectors.types.local.LocalDirectoryConnector",
    "connectors.types.scim.ScimConnector",
    "connectors.types.ldap.LdapConnector",
    "connectors.types.rest.RestConnector",
    "connectors.types.email.EmailConnector",
)

_types: dict[str, type[Connector]] = {}


def register(cls: type[Connector]) -> type[Connector]:
    """Register a connector type under its `type_name` (usable as a class decorator)."""
    if not cls.type_name:
        raise ValueError(f"{cls.__name__} has no type_name")
    _types[cls.type_name] = cls
    return cls


def _load() -> None:
    if _types:
        return
    for path in (*BUILTIN_TYPES, *idc_settings.CONNECTOR_TYPES):
        register(import_string(path))


def get_type(type_name: str) -> type[Connector]:
    _load()
    try:
        return _types[type_name]
    except KeyError:
        raise LookupError(f"unknown connector type {type_name!r}") from None


def all_types() -> dict[str, type[Connector]]:
    _load()
    return dict(_types)


def type_choices() -> list[tuple[str, str]]:
    return [(name, cls.label or name) for name, cls in sorted(all_types().items())]
