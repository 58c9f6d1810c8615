"""What changed between two workflow documents: blocks, edges and configs field by field.

Plain Python over the document format (workflows/documents.py), so the publish review, the
version history, the API and the builder all show the same answer. Blocks are matched by key
(a block's stable name); an edge is identified by its source and outcome (one edge per block
and outcome), so an edge re-pointed to another block is one removal plus one addition.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

ADDED = "added"
REMOVED = "removed"
CHANGED = "changed"

_BLOCK_FIELDS = ("kind", "type", "label", "position")


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any
    new: Any
    change: str = CHANGED  # added / removed / changed: a missing key is not the same as null


@dataclass(frozen=True)
class BlockChange:
    key: str
    type: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class DocumentDiff:
    blocks_added: tuple[dict[str, Any], ...] = ()
    blocks_removed: tuple[dict[str, Any], ...] = ()
    blocks_changed: tuple[BlockChange, ...] = ()
    edges_added: tuple[dict[str, Any], ...] = ()
    edges_removed: tuple[dict[str, Any], ...] = ()
    workflow_changes: tuple[FieldChange, ...] = ()

    def is_empty(self) -> bool:
        return not any(
            (
                self.blocks_added,
                self.blocks_removed,
                self.blocks_changed,
                self.edges_added,
                self.edges_removed,
                self.workflow_changes,
            )
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def changed_keys(self) -> set[str]:
        """Every block key touched in any way (for highlighting on a canvas)."""
        keys = {b["key"] for b in (*self.blocks_added, *self.blocks_removed)}
        return keys | {c.key for c in self.blocks_changed}


def diff_documents(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> DocumentDiff:
    """The changes that turn `old` into `new`; `old=None` means everything is new."""
    old = old or {"workflow": {}, "blocks": [], "edges": []}
    old_blocks = {b["key"]: b for b in old.get("blocks", [])}
    new_blocks = {b["key"]: b for b in new.get("blocks", [])}
    changed = []
    for key in new_blocks.keys() & old_blocks.keys():
        changes = tuple(_block_changes(old_blocks[key], new_blocks[key]))
        if changes:
            changed.append(BlockChange(key=key, type=new_blocks[key]["type"], changes=changes))
    old_edges = {_edge_id(e): e for e in old.get("edges", [])}
    new_edges = {_edge_id(e): e for e in new.get("edges", [])}
    return DocumentDiff(
        blocks_added=tuple(b for k, b in new_blocks.items() if k not in old_blocks),
        blocks_removed=tuple(b for k, b in old_blocks.items() if k not in new_blocks),
        blocks_changed=tuple(sorted(changed, key=lambda c: c.key)),
        edges_added=tuple(_plain(e) for i, e in new_edges.items() if i not in old_edges),
        edges_removed=tuple(_plain(e) for i, e in old_edges.items() if i not in new_edges),
        workflow_changes=tuple(
            _changes(old.get("workflow") or {}, new.get("workflow") or {}, prefix="workflow")
        ),
    )


def _edge_id(edge: Mapping[str, Any]) -> tuple[str, str, str]:
    return (edge["from"], edge.get("outcome", "next"), edge["to"])


def _plain(edge: Mapping[str, Any]) -> dict[str, Any]:
    return {"from": edge["from"], "to": edge["to"], "outcome": edge.get("outcome", "next")}


def _block_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[FieldChange]:
    for name in _BLOCK_FIELDS:
        yield from _compare(name, old.get(name, _ABSENT), new.get(name, _ABSENT), nested=False)
    yield from _changes(old.get("config") or {}, new.get("config") or {}, prefix="config")


def _changes(
    old: Mapping[str, Any], new: Mapping[str, Any], *, prefix: str
) -> Iterator[FieldChange]:
    for name in sorted(old.keys() | new.keys(), key=str):
        yield from _compare(f"{prefix}.{name}", old.get(name, _ABSENT), new.get(name, _ABSENT))


def _compare(path: str, old: Any, new: Any, *, nested: bool = True) -> Iterator[FieldChange]:
    if old is _ABSENT and new is _ABSENT:
        return
    if nested and isinstance(old, Mapping) and isinstance(new, Mapping):
        yield from _changes(old, new, prefix=path)
    elif old is _ABSENT:
        yield FieldChange(path, None, new, ADDED)
    elif new is _ABSENT:
        yield FieldChange(path, old, None, REMOVED)
    elif not _same(old, new):
        yield FieldChange(path, old, new, CHANGED)


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values: 1 and True differ, 1 and 1.0 do not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


class _Absent:
    def __repr__(self) -> str:
        return "<absent>"


_ABSENT: Any = _Absent()
