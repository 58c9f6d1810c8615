"""A workflow graph drawn on the server as SVG (a simple layered layout), for the read-only
views of the console: a version, the diff of two versions, a run's path. No script and no
inline style: colours come from classes in workflows/console/console.css, so the page keeps the
Content-Security-Policy (`style-src 'self'`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

NODE_W, NODE_H = 176, 46
GAP_X, GAP_Y = 36, 64
MARGIN = 24


@dataclass(frozen=True)
class Marks:
    """Which blocks and edges to highlight, each with a CSS class (lit, failed, added ...).
    An edge is named by (source key, outcome, target key): a re-pointed edge is two."""

    blocks: Mapping[str, str] = field(default_factory=dict)
    edges: Mapping[tuple[str, str, str], str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Placed:
    key: str
    type: str
    label: str
    x: int
    y: int


def layers(keys: list[str], edges: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering from the roots. Relaxation is capped at len(keys) rounds, so a
    cycle in a draft (which validation would refuse) still gives a finite drawing."""
    layer = dict.fromkeys(keys, 0)
    pairs = [(a, b) for a, b in edges if a in layer and b in layer and a != b]
    for _ in range(len(keys)):
        moved = False
        for a, b in pairs:
            if layer[b] < layer[a] + 1 <= len(keys):
                layer[b] = layer[a] + 1
                moved = True
        if not moved:
            break
    return layer


def _place(document: Mapping[str, Any]) -> tuple[dict[str, _Placed], int, int]:
    blocks = list(document.get("blocks", []))
    keys = [b["key"] for b in blocks]
    pairs = [(e["from"], e["to"]) for e in document.get("edges", [])]
    layer = layers(keys, pairs)
    rows: dict[int, list[str]] = {}
    for key in keys:
        rows.setdefault(layer[key], []).append(key)
    column: dict[str, float] = {}
    for depth in sorted(rows):
        # Barycentre of the parents: children sit under what leads to them (fewer crossings).
        parents = {k: [column[a] for a, b in pairs if b == k and a in column] for k in rows[depth]}
        order = {k: i for i, k in enumerate(rows[depth])}
        rows[depth].sort(
            key=lambda k: (sum(parents[k]) / len(parents[k]), order[k])
            if parents[k]
            else (float(order[k]), order[k])
        )
        for i, key in enumerate(rows[depth]):
            column[key] = float(i)
    widest = max((len(r) for r in rows.values()), default=1)
    width = MARGIN * 2 + widest * NODE_W + (widest - 1) * GAP_X
    by_key = {b["key"]: b for b in blocks}
    placed: dict[str, _Placed] = {}
    for depth, row in rows.items():
        row_width = len(row) * NODE_W + (len(row) - 1) * GAP_X
        left = (width - row_width) // 2
        for i, key in enumerate(row):
            block = by_key[key]
            placed[key] = _Placed(
                key=key,
                type=f"{block.get('kind', '')}/{block.get('type', '')}",
                label=str(block.get("label") or ""),
                x=left + i * (NODE_W + GAP_X),
                y=MARGIN + depth * (NODE_H + GAP_Y),
            )
    height = MARGIN * 2 + (max(rows, default=0) + 1) * (NODE_H + GAP_Y) - GAP_Y
    return placed, width, height


def _edge(edge: Mapping[str, Any], placed: Mapping[str, _Placed], marks: Marks) -> SafeString:
    a, b = placed.get(edge["from"]), placed.get(edge["to"])
    if a is None or b is None:
        return mark_safe("")
    outcome = str(edge.get("outcome", "next"))
    x1, y1 = a.x + NODE_W // 2, a.y + NODE_H
    x2, y2 = b.x + NODE_W // 2, b.y
    if y2 <= y1:  # drawn upwards (a cycle in a draft): go round the side
        y1, y2 = a.y + NODE_H // 2, b.y + NODE_H // 2
    bend = max(abs(y2 - y1) // 2, 24)
    css = " ".join(filter(None, ["edge", marks.edges.get((edge["from"], outcome, edge["to"]), "")]))
    return format_html(
        '<g class="{}" data-edge="{}:{}:{}"><path d="M{},{} C{},{} {},{} {},{}" '
        'marker-end="url(#arrow)"/><text x="{}" y="{}" class="edge-label">{}</text></g>',
        css,
        edge["from"],
        outcome,
        edge["to"],
        x1,
        y1,
        x1,
        y1 + bend,
        x2,
        y2 - bend,
        x2,
        y2,
        (x1 + x2) // 2 + 4,
        (y1 + y2) // 2,
        outcome,
    )


def _node(node: _Placed, marks: Marks) -> SafeString:
    css = " ".join(filter(None, ["node", marks.blocks.get(node.key, "")]))
    return format_html(
        '<g class="{}" id="block-{}" data-key="{}"><title>{} ({}){}</title>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="6"/>'
        '<text x="{}" y="{}" class="node-key">{}</text>'
        '<text x="{}" y="{}" class="node-type">{}</text></g>',
        css,
        node.key,
        node.key,
        node.key,
        node.type,
        f": {node.label}" if node.label else "",
        node.x,
        node.y,
        NODE_W,
        NODE_H,
        node.x + 10,
        node.y + 19,
        node.key[:24],
        node.x + 10,
        node.y + 36,
        node.type[:28],
    )


def graph_svg(document: Mapping[str, Any], marks: Marks | None = None, *, title: str = "") -> str:
    """The document's blocks and edges as one <svg> element, highlighted by `marks`."""
    marks = marks or Marks()
    placed, width, height = _place(document)
    edges = format_html_join("", "{}", ((_edge(e, placed, marks),) for e in document["edges"]))
    nodes = format_html_join("", "{}", ((_node(placed[k], marks),) for k in placed))
    return format_html(
        '<svg class="workflow-graph" xmlns="http://www.w3.org/2000/svg" role="img" '
        'viewBox="0 0 {} {}" width="{}" height="{}" aria-label="{}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" '
        'markerHeight="9" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z"/></marker>'
        "</defs>{}{}</svg>",
        width,
        height,
        width,
        height,
        title or "workflow graph",
        edges,
        nodes,
    )
