"""What a background job can do: each app registers its kinds (connectors: test; workflows:
retry, re-trigger, publish ...) at start-up, so this package imports no app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ItemRefused(Exception):
    """The service said no (or the check failed): the item fails with this message."""


@dataclass(frozen=True)
class JobKind:
    name: str
    verb: str  # "Test connection": the page's title starts with it
    #: (object id, actor) -> what was done; raises ItemRefused with the reason
    handle: Callable[[str, Any], str]
    #: checked again when the item runs: a permission revoked since the click applies ("": the
    #: handler's service checks the object's rules itself, object permissions included)
    permission: str
    #: True: the handler's writes and the item's outcome commit together (a worker that dies
    #: mid-item leaves nothing half-done and the item pending). False for network work such as
    #: a connection test, which must not hold a transaction open and is harmless to repeat.
    atomic: bool = True


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    _KINDS[kind.name] = kind
    return kind


def get(name: str) -> JobKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no background job kind named {name!r}") from None
