"""The watchdog's sweeps: no execution is lost, none runs twice.

`sweep_overdue` parks executions still `running` past their deadline plus a grace period (their
worker was killed or hung beyond the hard stop). `sweep_unclaimed` re-enqueues `queued`
executions whose message no worker took (the message was lost); a duplicate message is harmless
because claiming is a compare-and-set. Each re-checks every row under a lock, skips a broken row
with a log line, and returns how many it handled.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.utils import timezone

from audit.services import record
from idconfluence.conf import idc_settings
from workflows import queue
from workflows.models import Execution, Run, Step
from workflows.status import ExecutionState, RunState, StepState

logger = logging.getLogger(__name__)
BATCH = 100


def sweep_overdue(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=idc_settings.WATCHDOG_GRACE_SECONDS)
    ids = list(
        Execution.objects.filter(state=ExecutionState.RUNNING, deadline__lt=cutoff).values_list(
            "pk", flat=True
        )[:BATCH]
    )
    handled = 0
    for pk in ids:
        try:
            handled += _park_overdue(pk, cutoff, now)
        except Exception:
            logger.exception("watchdog could not park execution %s; skipping it", pk)
    return handled


def _park_overdue(pk: int, cutoff: datetime, now: datetime) -> int:
    with transaction.atomic():
        execution = (
            Execution.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, state=ExecutionState.RUNNING, deadline__lt=cutoff)
            .first()
        )
        if execution is None:
            return 0
        open_step = (
            Step.objects.filter(execution=execution, state=StepState.STARTED)
            .order_by("-seq")
            .first()
        )
        block = open_step.block_key if open_step else execution.start_block
        where = f" at step {block}" if block else ""
        late = int((now - (execution.deadline or now)).total_seconds())
        reason = f"worker lost{where}: still running {late}s past its deadline"
        Step.objects.filter(execution=execution, state=StepState.STARTED).update(
            state=StepState.FAILED,
            error="worker lost during the call; the outcome is unknown",
            finished_at=now,
        )
        execution.state = ExecutionState.PARKED
        execution.finished_at = now
        execution.failure_reason = reason
        execution.failed_block = block
        execution.save(update_fields=["state", "finished_at", "failure_reason", "failed_block"])
        Run.objects.filter(pk=execution.run_id).update(state=RunState.FAILED, finished_at=now)
        record(
            action="execution.parked",
            actor_label="watchdog",
            target=execution,
            run_id=execution.run_id,
            execution_id=execution.pk,
            details={"reason": reason, "worker": execution.worker},
        )
    return 1


def sweep_unclaimed(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=idc_settings.REQUEUE_AFTER_SECONDS)
    handled = 0
    with transaction.atomic():
        stale = list(
            Execution.objects.select_for_update(skip_locked=True)
            .filter(state=ExecutionState.QUEUED, enqueued_at__lt=cutoff)
            .order_by("enqueued_at")[:BATCH]
        )
        for execution in stale:
            execution.enqueued_at = now
            execution.enqueue_count += 1
            execution.save(update_fields=["enqueued_at", "enqueue_count"])
            transaction.on_commit(partial(queue.enqueue, execution.pk))
            handled += 1
        if stale:
            logger.info("watchdog re-enqueued %d unclaimed executions", len(stale))
    return handled
