"""Starting runs and their further executions: run now, re-trigger, retry from the failed step,
resume after a decision, close and cancel. Each stores its rows in one transaction, writes one
audit event per state change, and enqueues on commit.

Operator actions are state machines over rows locked in one order everywhere: the execution
first, then its run, then (through `audit.record`) the audit head. A second click, a concurrent
operator or a stale page finds the state already moved and gets a refusal that says why.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from idconfluence.intake import IntakeError, check_value
from workflows import queue
from workflows.access import WORKFLOWS, require_operate
from workflows.models import Execution, Run, Workflow, WorkflowVersion
from workflows.services.run_audit import record_run_event as _record
from workflows.status import LIVE_EXECUTION_STATES, ExecutionState, RunState, TriggerKind


class NotRunnable(Exception):
    """The workflow cannot start a run now (disabled, nothing published)."""


class NotRetryable(Exception):
    """The execution or run is not in a state that allows this operation (the message says why)."""


def enqueue_on_commit(execution: Execution) -> None:
    transaction.on_commit(lambda: queue.enqueue_or_leave_to_watchdog(execution.pk))


def _new_execution(run: Run, *, first: bool = False, **fields: Any) -> Execution:
    number = (
        1
        if first
        else (run.executions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    )
    execution = Execution.objects.create(
        run=run, number=number, enqueued_at=timezone.now(), enqueue_count=1, **fields
    )
    enqueue_on_commit(execution)
    return execution


def _check_input(event: dict[str, Any]) -> None:
    """Input from the console, a command, a schedule or a re-trigger: the JSON intake rule."""
    try:
        check_value(event)
    except IntakeError as exc:
        raise NotRunnable(f"the input is refused: {exc}") from exc


def runnable_version(workflow: Workflow, version: WorkflowVersion | None) -> WorkflowVersion:
    """The version a new run of `workflow` takes, or NotRunnable saying why there is none."""
    if workflow.deleted_at is not None:
        raise NotRunnable(f"workflow {workflow.slug!r} is in the recycle bin")
    if not workflow.enabled:
        raise NotRunnable(f"workflow {workflow.slug!r} is disabled")
    version = version or workflow.published_version
    if version is None:
        raise NotRunnable(f"workflow {workflow.slug!r} has no published version")
    return version


def started_details(run: Run) -> dict[str, Any]:
    """What `run.started` records."""
    return {
        "trigger": run.trigger_kind,
        "version": run.version.number,
        "dry_run": run.dry_run,
        "trigger_ref": run.trigger_ref,
    }


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
    """Store a Run and its first Execution as queued (one transaction); enqueue on commit.

    A person needs `run` on the workflow (a re-trigger is checked as operating, by its caller);
    schedules and webhooks start runs with no person."""
    if retriggered_from is None:
        WORKFLOWS.require_person(actor, "run", workflow)
    version = runnable_version(workflow, version)
    event = input or {}
    if trigger_kind != TriggerKind.WEBHOOK:  # a webhook body passed the same rule as it was read
        _check_input(event)
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
            details=started_details(run),
        )
    return run


def run_retrigger(*, run: Run, actor: Any) -> Run:
    """A new run with the same input on the workflow's current published version.

    Only for a run that ended failed or cancelled and was not re-triggered yet; its parked
    execution (if any) is closed in the same transaction."""
    require_operate(actor, run.workflow)
    with transaction.atomic():
        parked = list(
            Execution.objects.select_for_update(of=("self",))
            .filter(run_id=run.pk, state=ExecutionState.PARKED)
            .order_by("pk")
        )
        run = Run.objects.select_for_update(of=("self",)).select_related("workflow").get(pk=run.pk)
        if run.state not in (RunState.FAILED, RunState.CANCELLED):
            raise NotRetryable(
                f"run {run.pk} is {run.state}; only a failed or cancelled run can be re-triggered"
            )
        earlier = run.retriggers.order_by("pk").values_list("pk", flat=True).first()
        if earlier is not None:
            raise NotRetryable(f"run {run.pk} was already re-triggered as run {earlier}")
        new_run = run_start(
            workflow=run.workflow,
            trigger_kind=TriggerKind.RETRIGGER,
            input=run.input,
            actor=actor,
            trigger_ref=f"run:{run.pk}",
            retriggered_from=run,
        )
        for execution in parked:
            _close(execution, ExecutionState.RESOLVED, actor, f"re-triggered as run {new_run.pk}")
    return new_run


def execution_retry(*, execution: Execution, actor: Any) -> Execution:
    """A new execution of the same run, at the failed block, with the context as it was there
    (the checkpoint of the parked execution, kept in the run's context)."""
    require_operate(actor, execution.run.workflow)
    with transaction.atomic():
        execution = _lock(execution.pk)
        if execution.state != ExecutionState.PARKED:
            raise NotRetryable(not_parked_reason(execution))
        if not execution.failed_block:
            raise NotRetryable(f"execution {execution.pk} has no failed step to retry from")
        run = Run.objects.select_for_update(of=("self",)).get(pk=execution.run_id)
        retry = _new_execution(run, start_block=execution.failed_block, retry_of=execution)
        _close(execution, ExecutionState.RESOLVED, actor, f"retried as execution {retry.pk}")
        Run.objects.filter(pk=run.pk).update(state=RunState.RUNNING, finished_at=None)
        _record(
            run,
            "run.retried",
            actor=actor,
            target=run,
            execution_id=retry.pk,
            details={"from_block": execution.failed_block, "retry_of": execution.pk},
        )
    return retry


def execution_resolve(*, execution: Execution, actor: Any, note: str = "") -> Execution:
    """Close a parked execution an operator handled by hand; its run stays failed."""
    require_operate(actor, execution.run.workflow)
    with transaction.atomic():
        execution = _lock(execution.pk)
        if execution.state != ExecutionState.PARKED:
            raise NotRetryable(not_parked_reason(execution))
        _close(execution, ExecutionState.RESOLVED, actor, note or "handled by an operator")
    return execution


def run_cancel(*, run: Run, actor: Any, note: str = "") -> Run:
    """Stop a run that is queued, waiting or parked; a running execution must end first."""
    require_operate(actor, run.workflow)
    with transaction.atomic():
        executions = list(
            Execution.objects.select_for_update(of=("self",))
            .filter(run_id=run.pk, state__in=[*LIVE_EXECUTION_STATES, ExecutionState.PARKED])
            .order_by("pk")
        )
        run = Run.objects.select_for_update(of=("self",)).get(pk=run.pk)
        if run.state in (RunState.SUCCEEDED, RunState.CANCELLED):
            raise NotRetryable(f"run {run.pk} is {run.state}; there is nothing to cancel")
        running = [e.pk for e in executions if e.state == ExecutionState.RUNNING]
        if running:
            raise NotRetryable(
                f"run {run.pk} has execution {running[0]} running now; cancel it once it ends"
            )
        for execution in executions:
            _close(execution, ExecutionState.CANCELLED, actor, note or "run cancelled")
        Run.objects.filter(pk=run.pk).update(state=RunState.CANCELLED, finished_at=timezone.now())
        _record(run, "run.cancelled", actor=actor, target=run, execution_id=None, details={})
        run.state = RunState.CANCELLED
    return run


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
        waiting_id = (
            Execution.objects.filter(run_id=run.pk, state=ExecutionState.WAITING)
            .order_by("-number")
            .values_list("pk", flat=True)
            .first()
        )
        waiting = _lock(waiting_id) if waiting_id is not None else None
        run = Run.objects.select_for_update(of=("self",)).get(pk=run.pk)
        if run.state != RunState.WAITING or waiting is None:
            raise NotRetryable(f"run {run.pk} is {run.state}, not waiting")
        if waiting.state != ExecutionState.WAITING:
            raise NotRetryable(f"run {run.pk} was already resumed")
        if waiting.waiting_block != block_key:
            raise NotRetryable(
                f"run {run.pk} waits at {waiting.waiting_block!r}, not {block_key!r}"
            )
        execution = _new_execution(
            run, start_block=block_key, resume_outcome=outcome, resume_payload=payload or {}
        )
        Execution.objects.filter(pk=waiting.pk).update(state=ExecutionState.RESUMED)
        Run.objects.filter(pk=run.pk).update(state=RunState.RUNNING)
        details = {"block": block_key, "outcome": outcome, "resumed_as": execution.pk}
        _record(
            run,
            "execution.resumed",
            actor=actor,
            actor_label=actor_label,
            target=waiting,
            execution_id=waiting.pk,
            details=details,
        )
        _record(
            run,
            "run.resumed",
            actor=actor,
            actor_label=actor_label,
            target=run,
            execution_id=execution.pk,
            details=details,
        )
    return execution


def _lock(execution_id: int) -> Execution:
    """The first lock of every operator action (execution, then run, then the audit head)."""
    return (
        Execution.objects.select_for_update(of=("self",)).select_related("run").get(pk=execution_id)
    )


def not_parked_reason(execution: Execution) -> str:
    """Why an operator's action on this execution is refused, for the page that showed it."""
    if execution.state == ExecutionState.RESOLVED:
        retry = execution.retries.order_by("pk").values_list("pk", flat=True).first()
        if retry is not None:
            return f"execution {execution.pk} was already retried as execution {retry}"
        again = execution.run.retriggers.order_by("pk").values_list("pk", flat=True).first()
        if again is not None:
            return f"execution {execution.pk}'s run was already re-triggered as run {again}"
        return f"execution {execution.pk} was already closed by an operator"
    return f"execution {execution.pk} is {execution.state}, not parked"


def _close(execution: Execution, state: str, actor: Any, note: str) -> None:
    """A parked, queued or waiting execution leaves the queue for good (its row is locked)."""
    Execution.objects.filter(pk=execution.pk).update(state=state)
    _record(
        execution.run,
        f"execution.{state}",
        actor=actor,
        target=execution,
        execution_id=execution.pk,
        details={"note": note, "was": execution.state},
    )
    execution.state = state
