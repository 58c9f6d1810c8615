"""Helpers for the access tests: the version page's form as a browser posts it."""

from __future__ import annotations

import json

from workflows.models import WorkflowVersion


def inline_post(draft: WorkflowVersion, *, group: str) -> dict[str, str]:
    """The version page's form as a browser posts it, with one block's group changed."""
    data: dict[str, str] = {"_save": "Save"}
    blocks = list(draft.blocks.order_by("pk"))
    edges = list(draft.edges.order_by("pk"))
    for prefix, rows in (("blocks", blocks), ("edges", edges)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
    for i, b in enumerate(blocks):
        config = dict(b.config)
        if b.key == "add_staff":
            config = {**config, "args": {**config["args"], "group": group}}
        data.update(
            {
                f"blocks-{i}-id": str(b.pk),
                f"blocks-{i}-version": str(draft.pk),
                f"blocks-{i}-key": b.key,
                f"blocks-{i}-kind": b.kind,
                f"blocks-{i}-type": b.type,
                f"blocks-{i}-label": b.label,
                f"blocks-{i}-config": json.dumps(config),
                f"blocks-{i}-position_x": str(b.position_x),
                f"blocks-{i}-position_y": str(b.position_y),
            }
        )
    for i, e in enumerate(edges):
        data.update(
            {
                f"edges-{i}-id": str(e.pk),
                f"edges-{i}-version": str(draft.pk),
                f"edges-{i}-source": str(e.source_id),
                f"edges-{i}-outcome": e.outcome,
                f"edges-{i}-target": str(e.target_id),
            }
        )
    return data
