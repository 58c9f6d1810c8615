"""Parking a running execution from outside its worker: the watchdog (the worker died) and the
worker's own deadline guard (its main thread is stuck where no signal reaches).

Either one takes the execution's row lock and re-checks it is still `running` (and, where given,
still under the same lease and overdue by the database's clock, never a host's): a worker that
wakes up later is fenced out by that state change and discards what it did. What a retry needs
survives: the run's context becomes the execution's last checkpoint (every earlier block's output,
durable before each external call), and the block in progress is the one named.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Now

from audit.services import batch as audit_batch
from workflows.models import Execution, Run, Step
from workflows.services.run_audit import audit_execution
from workflows.status import ExecutionState, RunState, StepState

logger = logging.getLogger(__name__)


def overdue_cutoff(grace_seconds: float) -> models.Expression:
    """`now() - grace` on the database's clock: one clock judges every deadline."""
    return models.ExpressionWrapper(
        Now() - models.Value(timedelta(seconds=grace_seconds)),
        output_field=models.DateTimeField(),
    )


def execution_park_running(
    *,
    execution_id: int,
    why: str,
    actor_label: str,
    lease: int | None = None,
    grace_seconds: float | None = None,
    block: str = "",
) -> bool:
    """Park `execution_id` if it is still running (under `lease`, past deadline + grace).

    `block` names the block in progress when the caller knows it (the guard); otherwise it is
    the block of the last checkpoint (the external call whose intent was recorded last)."""
    with transaction.atomic(), audit_batch():
        rows = Execution.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            pk=execution_id, state=ExecutionState.RUNNING
        )
        if lease is not None:
            rows = rows.filter(lease=lease)
        if grace_seconds is not None:
            rows = rows.filter(deadline__lt=overdue_cutoff(grace_seconds))
        execution = rows.select_related("run").annotate(db_now=Now()).first()
        if execution is None:
            return False
        checkpoint: dict[str, Any] = execution.checkpoint or {}
        block = block or str(checkpoint.get("block") or execution.start_block or "")
        late = ""
        if execution.deadline is not None:
            seconds = (execution.db_now - execution.deadline).total_seconds()
            late = f"; {max(seconds, 0):.1f}s past its deadline"
        where = f" at step {block}" if block else ""
        reason = f"execution window exceeded{where} ({why}{late})"
        Step.objects.filter(execution=execution, state=StepState.STARTED).update(
            state=StepState.UNKNOWN,
            outcome="unknown",
            error=f"{why} during the call; the change may have been applied",
            finished_at=Now(),
        )
        Execution.objects.filter(pk=execution.pk).update(
            lease=F("lease") + 1,  # taken away: the worker's writes can never match again
            state=ExecutionState.PARKED,
            finished_at=Now(),
            failure_reason=reason,
            failed_block=block,
        )
        run_fields: dict[str, Any] = {"state": RunState.FAILED, "finished_at": Now()}
        if "context" in checkpoint:
            run_fields["context"] = checkpoint["context"]
        Run.objects.filter(pk=execution.run_id).update(**run_fields)
        details = {"reason": reason, "worker": execution.worker}
        audit_execution(
            execution, "execution.parked", {**details, "block": block}, None, actor_label
        )
        audit_execution(execution, "run.failed", details, execution.run, actor_label)
    logger.warning("execution %s parked by the %s: %s", execution_id, actor_label, reason)
    return True
