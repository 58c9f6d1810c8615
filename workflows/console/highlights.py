"""What to light on a drawn graph: the blocks and edges a run went through, or what changed
between two versions (drawn on the union of both, removed items included)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.console.graph_svg import Marks
from workflows.diff import DocumentDiff
from workflows.models import Run, Step
from workflows.status import StepState


def diff_marks(
    old: Mapping[str, Any], new: Mapping[str, Any], diff: DocumentDiff
) -> tuple[dict[str, Any], Marks]:
    """The new document plus what the old one had and lost, each item marked by its change."""
    removed_blocks = list(diff.blocks_removed)
    removed_edges = list(diff.edges_removed)
    union = {
        **dict(new),
        "blocks": [*new.get("blocks", []), *removed_blocks],
        "edges": [*new.get("edges", []), *removed_edges],
    }
    blocks = {b["key"]: "added" for b in diff.blocks_added}
    blocks |= {b["key"]: "removed" for b in removed_blocks}
    blocks |= {c.key: "changed" for c in diff.blocks_changed}
    edges = {(e["from"], e["outcome"], e["to"]): "added" for e in diff.edges_added}
    # A re-pointed edge is a removal plus an addition: both are drawn, each to its own target.
    edges |= {(e["from"], e["outcome"], e["to"]): "removed" for e in removed_edges}
    return union, Marks(blocks=blocks, edges=edges)


def run_marks(run: Run, document: Mapping[str, Any]) -> Marks:
    """Every block a step ran, the edges taken between them, the failing block in red."""
    targets = {(e["from"], e["outcome"]): e["to"] for e in document.get("edges", [])}
    blocks: dict[str, str] = {}
    taken: set[tuple[str, str]] = set()
    steps = Step.objects.filter(execution__run=run).order_by("execution__number", "seq")
    for step in steps.only("block_key", "state", "outcome"):
        failed = step.state in (StepState.FAILED, StepState.UNKNOWN) and step.outcome != "error"
        blocks[step.block_key] = "failed" if failed else "lit"
        if step.outcome:
            taken.add((step.block_key, step.outcome))
    resumed = run.executions.exclude(resume_outcome="").values_list("start_block", "resume_outcome")
    taken |= set(resumed)  # a decision resumed the run on this edge
    edges = {(a, o, targets[(a, o)]): "lit" for a, o in taken if (a, o) in targets}
    return Marks(blocks=blocks, edges=edges)
