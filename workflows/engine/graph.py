"""The workflow graph as immutable data, and its validation: what a draft must satisfy to publish.

Validation reports every problem at once, each tied to a block key, so a builder can highlight
the blocks to fix instead of failing on the first one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from workflows.engine.errors import GraphError

RESERVED_KEYS = frozenset({"event", "run", "now", "input"})


@dataclass(frozen=True)
class Block:
    key: str
    kind: str
    type: str
    config: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    position: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    outcome: str = "next"


@dataclass(frozen=True)
class Graph:
    blocks: Mapping[str, Block]
    edges: tuple[Edge, ...]

    @classmethod
    def build(cls, blocks: Iterable[Block], edges: Iterable[Edge]) -> Graph:
        return cls(MappingProxyType({b.key: b for b in blocks}), tuple(edges))

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Graph:
        """Build from the workflow document's `blocks` and `edges` lists."""
        blocks = [
            Block(
                key=b["key"],
                kind=b["kind"],
                type=b["type"],
                config=b.get("config") or {},
                label=b.get("label", ""),
                position=(b.get("position", {}).get("x", 0), b.get("position", {}).get("y", 0)),
            )
            for b in doc.get("blocks", [])
        ]
        edges = [Edge(e["from"], e["to"], e.get("outcome", "next")) for e in doc.get("edges", [])]
        return cls.build(blocks, edges)

    def block(self, key: str) -> Block:
        try:
            return self.blocks[key]
        except KeyError:
            raise GraphError(f"no block {key!r} in this version") from None

    def next_key(self, source: str, outcome: str) -> str | None:
        for edge in self.edges:
            if edge.source == source and edge.outcome == outcome:
                return edge.target
        return None

    def outcomes_of(self, source: str) -> set[str]:
        return {edge.outcome for edge in self.edges if edge.source == source}

    def triggers(self) -> list[Block]:
        return [b for b in self.blocks.values() if b.kind == "trigger"]

    def trigger(self) -> Block:
        triggers = self.triggers()
        if len(triggers) != 1:
            raise GraphError(f"expected exactly one trigger, found {len(triggers)}")
        return triggers[0]


@dataclass(frozen=True)
class Issue:
    """One validation problem; `block` is None for problems of the whole graph."""

    block: str | None
    message: str

    def __str__(self) -> str:
        return f"{self.block}: {self.message}" if self.block else self.message


def structural_issues(graph: Graph) -> list[Issue]:
    """One trigger, edges between known blocks, every block reachable, no cycles."""
    issues: list[Issue] = []
    triggers = graph.triggers()
    if len(triggers) != 1:
        names = ", ".join(sorted(b.key for b in triggers)) or "none"
        issues.append(Issue(None, f"a workflow needs exactly one trigger block (found: {names})"))
    for key in graph.blocks:
        if key in RESERVED_KEYS:
            issues.append(Issue(key, f"block key {key!r} is reserved"))
    seen: set[tuple[str, str]] = set()
    for edge in graph.edges:
        for end in (edge.source, edge.target):
            if end not in graph.blocks:
                issues.append(Issue(end, f"edge refers to unknown block {end!r}"))
        if (edge.source, edge.outcome) in seen:
            issues.append(Issue(edge.source, f"outcome {edge.outcome!r} is wired twice"))
        seen.add((edge.source, edge.outcome))
        if edge.target in graph.blocks and graph.blocks[edge.target].kind == "trigger":
            issues.append(Issue(edge.target, "a trigger cannot have incoming edges"))
    if len(triggers) == 1:
        reachable = _reachable(graph, triggers[0].key)
        for key in graph.blocks:
            if key not in reachable:
                issues.append(Issue(key, "not reachable from the trigger"))
    for key in _cycle_members(graph):
        issues.append(Issue(key, "is part of a cycle; workflows must not loop"))
    return issues


def _successors(graph: Graph, key: str) -> list[str]:
    return [e.target for e in graph.edges if e.source == key and e.target in graph.blocks]


def _reachable(graph: Graph, start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in _successors(graph, todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _cycle_members(graph: Graph) -> list[str]:
    """Blocks on a cycle, found by iterative DFS colouring (no recursion limit to hit)."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph.blocks, white)
    on_cycle: list[str] = []
    for root in graph.blocks:
        if colour[root] != white:
            continue
        stack: list[tuple[str, list[str]]] = [(root, _successors(graph, root))]
        colour[root] = grey
        while stack:
            node, pending = stack[-1]
            if not pending:
                colour[node] = black
                stack.pop()
                continue
            nxt = pending.pop()
            if colour[nxt] == grey:
                path = [n for n, _ in stack]
                on_cycle.extend(k for k in path[path.index(nxt) :] if k not in on_cycle)
            elif colour[nxt] == white:
                colour[nxt] = grey
                stack.append((nxt, _successors(graph, nxt)))
    return on_cycle
