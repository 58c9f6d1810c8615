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
    edges = {(e["from"], e["outcome"]): "added" for e in diff.edges_added}
    # A re-pointed edge is a removal plus an addition under the same (source, outcome): both
    # are drawn; the label of each says where it goes.
    for e in removed_edges:
        edges.setdefault((e["from"], e["outcome"]), "removed")
    return union, Marks(blocks=blocks, edges=edges)


def run_marks(run: Run) -> Marks:
    """Every block a step ran, the edges taken between them, the failing block in red."""
    blocks: dict[str, str] = {}
    edges: dict[tuple[str, str], str] = {}
    steps = Step.objects.filter(execution__run=run).order_by("execution__number", "seq")
    for step in steps.only("block_key", "state", "outcome"):
        failed = step.state in (StepState.FAILED, StepState.UNKNOWN) and step.outcome != "error"
        blocks[step.block_key] = "failed" if failed else "lit"
        if step.outcome:
            edges[(step.block_key, step.outcome)] = "lit"
    for waited, outcome in run.executions.exclude(resume_outcome="").values_list(
        "start_block", "resume_outcome"
    ):
        edges[(waited, outcome)] = "lit"  # a decision resumed the run on this edge
    return Marks(blocks=blocks, edges=edges)
