"""Reads of runs for commands, the API and reports."""

from __future__ import annotations

from typing import Any

from workflows.models import Run


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
