"""Reads of runs for commands, the API and reports."""

from __future__ import annotations

from typing import Any

from workflows.models import Block, Run, Workflow
from workflows.status import VersionState


def run_summary(run: Run) -> dict[str, Any]:
    """A run with its executions and steps, as plain data."""
    executions = run.executions.order_by("number").prefetch_related("steps")
    return {
        "id": run.pk,
        "workflow": run.workflow.slug,
        "version": run.version.number,
        "state": run.state,
        "dry_run": run.dry_run,
        "trigger": run.trigger_kind,
        "executions": [
            {
                "id": e.pk,
                "number": e.number,
                "state": e.state,
                "failed_block": e.failed_block,
                "failure_reason": e.failure_reason,
                "waiting_block": e.waiting_block,
            }
            for e in executions
        ],
        "steps": [
            {
                "execution": e.number,
                "seq": s.seq,
                "block": s.block_key,
                "type": f"{s.block_kind}/{s.block_type}",
                "state": s.state,
                "outcome": s.outcome,
                "output": s.output,
                "error": s.error,
                "duration_ms": s.duration_ms,
            }
            for e in executions
            for s in e.steps.all()
        ],
    }


def published_workflows_using(connector_name: str) -> list[Workflow]:
    """The workflows whose published version has a block calling this connector (its name is
    the blocks' `connector` config), for the connector page and the disable warning."""
    blocks = Block.objects.filter(
        version__state=VersionState.PUBLISHED, config__connector=connector_name
    )
    return list(Workflow.objects.filter(versions__blocks__in=blocks).distinct().order_by("name"))
