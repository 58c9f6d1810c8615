"""Rules on a workflow's content that depend on who acts: four-eyes publishing (on by default
when a block grants access) and connector `use` (a block may reference only connectors its
editor was given). Read from the block registry, so a new block type is covered by declaring
its connector operations."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from connectors.access import CONNECTORS
from connectors.models import Connector
from idconfluence.access import Denied, is_person
from workflows.engine.blocks import registry
from workflows.engine.errors import GraphError
from workflows.models import FourEyes, Workflow

#: Operations that give someone access: a workflow containing one is four-eyes by default.
GRANTING_OPERATIONS = frozenset({"provision_access", "assign_role", "add_group_member"})


class ConnectorNotUsable(Denied):
    """A block references a connector its editor may not use; `errors` names each block."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("; ".join(errors))


def connector_refs(document: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(block key, connector name, operation) for every connector call the document makes."""
    for block in document.get("blocks", []):
        try:
            block_type = registry.get(block.get("kind", ""), block.get("type", ""))
        except GraphError:
            continue  # an unknown type is a validation error, reported by the validator
        config = block.get("config") or {}
        for connector, operation in block_type.connector_refs(config):
            yield str(block.get("key", "")), connector, operation


def grants_access(document: Mapping[str, Any]) -> bool:
    return any(op in GRANTING_OPERATIONS for _, _, op in connector_refs(document))


def four_eyes_required(workflow: Workflow, document: Mapping[str, Any]) -> bool:
    if workflow.four_eyes == FourEyes.ON:
        return True
    if workflow.four_eyes == FourEyes.OFF:
        return False
    return grants_access(document)


def unusable_connectors(actor: Any, document: Mapping[str, Any]) -> list[str]:
    """One message per block that references a connector `actor` may not use (none for the
    product acting itself). A connector that does not exist is the validator's finding."""
    if not is_person(actor):
        return []
    refs = list(connector_refs(document))
    rows = {c.name: c for c in Connector.objects.filter(name__in={name for _, name, _ in refs})}
    errors = []
    for key, name, _ in refs:
        row = rows.get(name)
        if row is not None and not CONNECTORS.can(actor, "use", row):
            errors.append(f"block {key!r}: you may not use connector {name!r}")
    return errors


def require_usable_connectors(actor: Any, document: Mapping[str, Any]) -> None:
    errors = unusable_connectors(actor, document)
    if errors:
        raise ConnectorNotUsable(errors)
