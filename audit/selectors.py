"""Read-only views of other apps' records that audits need: a workflow's execution history.

Only reads, through the workflows models' public fields; audit never writes workflow tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from django.db.models import Prefetch

from audit.chain import utc_iso
from audit.redaction import json_ready
from workflows.models import Execution, Run, Step, Workflow

RUN_CHUNK = 200


def workflow_id_for_slug(slug: str) -> int | None:
    return Workflow.objects.filter(slug=slug).values_list("pk", flat=True).first()


def workflow_named(value: str) -> Workflow | None:
    """A workflow by id or slug."""
    value = value.strip()
    if value.isdigit():
        return Workflow.objects.filter(pk=int(value)).first()
    return Workflow.objects.filter(slug=value).first()


def approvals_for_runs(run_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """HOOK for the approvals app: each run's human-input tasks and decisions.

    Until approvals offers `approvals.selectors.decisions_for_runs(run_ids)` (returning
    {run_id: [{"task", "approver", "decision", "comment", "decided_at"}, ...]}) runs have none.
    """
    try:
        from approvals.selectors import decisions_for_runs
    except ImportError:
        return {}
    return dict(decisions_for_runs(run_ids))


def _time(value: datetime | None) -> str | None:
    return utc_iso(value) if value else None


def _step(step: Step) -> dict[str, Any]:
    return {
        "seq": step.seq,
        "block": step.block_key,
        "kind": step.block_kind,
        "type": step.block_type,
        "state": step.state,
        "outcome": step.outcome,
        "started_at": _time(step.started_at),
        "finished_at": _time(step.finished_at),
        "duration_ms": step.duration_ms,
        "error": step.error,
        "input": json_ready(step.input),
        "output": json_ready(step.output),
    }


def _execution(execution: Execution) -> dict[str, Any]:
    return {
        "number": execution.number,
        "state": execution.state,
        "start_block": execution.start_block,
        "resume_outcome": execution.resume_outcome,
        "queued_at": _time(execution.queued_at),
        "started_at": _time(execution.started_at),
        "finished_at": _time(execution.finished_at),
        "failed_block": execution.failed_block,
        "failure_reason": execution.failure_reason,
        "steps": [_step(s) for s in execution.steps.all()],
    }


def _run(run: Run, approvals: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "run": run.pk,
        "workflow_id": run.workflow_id,
        "version": run.version.number,
        "trigger": {
            "kind": run.trigger_kind,
            "ref": run.trigger_ref,
            "started_by": run.started_by.get_username() if run.started_by else None,
            "retriggered_from": run.retriggered_from_id,
        },
        "dry_run": run.dry_run,
        "outcome": run.state,
        "created_at": _time(run.created_at),
        "finished_at": _time(run.finished_at),
        "executions": [_execution(e) for e in run.executions.all()],
        "approvals": approvals,
    }


def workflow_history(
    *, workflow_id: int, start: datetime | None, end: datetime | None
) -> Iterator[dict[str, Any]]:
    """Every run of a workflow started in [start, end), oldest first, with its executions and
    steps, RUN_CHUNK runs at a time so a long window stays in constant memory."""
    runs = Run.objects.filter(workflow_id=workflow_id)
    if start is not None:
        runs = runs.filter(created_at__gte=start)
    if end is not None:
        runs = runs.filter(created_at__lt=end)
    runs = (
        runs.select_related("version", "started_by")
        .prefetch_related(
            Prefetch(
                "executions",
                queryset=Execution.objects.order_by("number").prefetch_related(
                    Prefetch("steps", queryset=Step.objects.order_by("seq"))
                ),
            )
        )
        .order_by("created_at", "pk")
    )
    chunk: list[Run] = []
    for run in runs.iterator(chunk_size=RUN_CHUNK):
        chunk.append(run)
        if len(chunk) == RUN_CHUNK:
            yield from _with_approvals(chunk)
            chunk = []
    yield from _with_approvals(chunk)


def _with_approvals(runs: list[Run]) -> Iterator[dict[str, Any]]:
    if not runs:
        return
    approvals = approvals_for_runs([r.pk for r in runs])
    for run in runs:
        yield _run(run, approvals.get(run.pk, []))
