"""Starting runs and their further executions: run now, re-trigger, retry from the failed step,
resume after a decision. Each stores its rows in one transaction and enqueues on commit."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from audit.services import record
from workflows import queue
from workflows.models import Execution, Run, Workflow, WorkflowVersion
from workflows.status import ExecutionState, RunState, TriggerKind


class NotRunnable(Exception):
    """The workflow cannot start a run now (disabled, nothing published)."""


class NotRetryable(Exception):
    """The execution or run is not in a state that allows this operation."""


def _enqueue_on_commit(execution: Execution) -> None:
    transaction.on_commit(lambda: queue.enqueue(execution.pk))


def _new_execution(run: Run, *, first: bool = False, **fields: Any) -> Execution:
    number = (
        1
        if first
        else (run.executions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    )
    execution = Execution.objects.create(
        run=run, number=number, enqueued_at=timezone.now(), enqueue_count=1, **fields
    )
    _enqueue_on_commit(execution)
    return execution


def run_start(
    *,
    workflow: Workflow,
    trigger_kind: str = TriggerKind.MANUAL,
    input: dict[str, Any] | None = None,
    actor: Any = None,
    trigger_ref: str = "",
    dry_run: bool = False,
    version: WorkflowVersion | None = None,
    retriggered_from: Run | None = None,
) -> Run:
    """Store a Run and its first Execution as queued (one transaction); enqueue on commit."""
    if not workflow.enabled:
        raise NotRunnable(f"workflow {workflow.slug!r} is disabled")
    version = version or workflow.published_version
    if version is None:
        raise NotRunnable(f"workflow {workflow.slug!r} has no published version")
    event = input or {}
    # No savepoint: on the webhook's hot path every statement counts, and a failure here
    # fails the caller's whole transaction anyway.
    with transaction.atomic(savepoint=False):
        run = Run.objects.create(
            workflow=workflow,
            version=version,
            trigger_kind=trigger_kind,
            trigger_ref=trigger_ref,
            input=event,
            context={"event": event},
            dry_run=dry_run,
            started_by=actor if getattr(actor, "is_authenticated", False) else None,
            retriggered_from=retriggered_from,
        )
        execution = _new_execution(run, first=True)
        _record(
            run,
            "run.started",
            actor=actor,
            target=run,
            execution_id=execution.pk,
            details={
                "trigger": trigger_kind,
                "version": version.number,
                "dry_run": dry_run,
                "trigger_ref": trigger_ref,
            },
        )
    return run


def run_retrigger(*, run: Run, actor: Any) -> Run:
    """A new run with the same input on the workflow's current published version."""
    with transaction.atomic():
        new_run = run_start(
            workflow=run.workflow,
            trigger_kind=TriggerKind.RETRIGGER,
            input=run.input,
            actor=actor,
            trigger_ref=f"run:{run.pk}",
            retriggered_from=run,
        )
        _resolve_parked(run, actor, f"re-triggered as run {new_run.pk}")
    return new_run


def execution_retry(*, execution: Execution, actor: Any) -> Execution:
    """A new execution of the same run, starting at the failed block with the context as it was."""
    with transaction.atomic():
        execution = Execution.objects.select_for_update().select_related("run").get(pk=execution.pk)
        if execution.state != ExecutionState.PARKED:
            raise NotRetryable(f"execution {execution.pk} is {execution.state}, not parked")
        if not execution.failed_block:
            raise NotRetryable(f"execution {execution.pk} has no failed step to retry from")
        run = execution.run
        retry = _new_execution(run, start_block=execution.failed_block, retry_of=execution)
        Run.objects.filter(pk=run.pk).update(state=RunState.RUNNING, finished_at=None)
        _resolve_parked(run, actor, f"retried as execution {retry.pk}")
        _record(
            run,
            "execution.retried",
            actor=actor,
            target=execution,
            execution_id=retry.pk,
            details={"from_block": execution.failed_block, "new_execution": retry.pk},
        )
    return retry


def run_resume(
    *,
    run: Run,
    block_key: str,
    outcome: str,
    payload: dict[str, Any] | None = None,
    actor: Any = None,
    actor_label: str = "",
) -> Execution:
    """Continue a waiting run at the `outcome` edge of the block it waits on. Only once."""
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        waiting = run.executions.filter(state=ExecutionState.WAITING).order_by("-number").first()
        if run.state != RunState.WAITING or waiting is None:
            raise NotRetryable(f"run {run.pk} is {run.state}, not waiting")
        if waiting.waiting_block != block_key:
            raise NotRetryable(
                f"run {run.pk} waits at {waiting.waiting_block!r}, not {block_key!r}"
            )
        execution = _new_execution(
            run, start_block=block_key, resume_outcome=outcome, resume_payload=payload or {}
        )
        Execution.objects.filter(pk=waiting.pk).update(state=ExecutionState.RESOLVED)
        Run.objects.filter(pk=run.pk).update(state=RunState.RUNNING)
        _record(
            run,
            "run.resumed",
            actor=actor,
            actor_label=actor_label,
            target=run,
            execution_id=execution.pk,
            details={"block": block_key, "outcome": outcome},
        )
    return execution


def _record(
    run: Run,
    action: str,
    *,
    actor: Any,
    target: Any,
    execution_id: int,
    details: dict[str, Any],
    actor_label: str = "",
) -> None:
    """An audit event tied to `run` and one of its executions, in the caller's transaction."""
    record(
        action=action,
        actor=actor,
        actor_label=actor_label,
        target=target,
        workflow_id=run.workflow_id,
        run_id=run.pk,
        execution_id=execution_id,
        details=details,
    )


def _resolve_parked(run: Run, actor: Any, note: str) -> None:
    parked_list = list(run.executions.filter(state=ExecutionState.PARKED))
    Execution.objects.filter(pk__in=[p.pk for p in parked_list]).update(
        state=ExecutionState.RESOLVED
    )
    for parked in parked_list:
        _record(
            run,
            "execution.resolved",
            actor=actor,
            target=parked,
            execution_id=parked.pk,
            details={"note": note},
        )
