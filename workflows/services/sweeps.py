"""The watchdog's sweeps: no execution is lost, none runs twice.

`sweep_overdue` parks executions still `running` past their deadline plus a grace period (their
worker was killed or hung beyond the hard stop). `sweep_unclaimed` re-enqueues `queued`
executions whose message no worker took (the message was lost); a duplicate message is harmless
because claiming is a compare-and-set, so it sends first and counts a message only once sent.
Parking re-checks every row under its lock and skips a broken row with a log line; each
returns how many it handled.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import InterfaceError, OperationalError
from django.db.models import F
from django.utils import timezone

from idconfluence.conf import idc_settings
from workflows import queue
from workflows.models import Execution
from workflows.services.parking import execution_park_running, overdue_cutoff
from workflows.status import ExecutionState

logger = logging.getLogger(__name__)
BATCH = 100


def sweep_overdue() -> int:
    """Park executions still `running` past deadline + grace, judged on the database's clock."""
    grace = float(idc_settings.WATCHDOG_GRACE_SECONDS)
    ids = list(
        Execution.objects.filter(
            state=ExecutionState.RUNNING, deadline__lt=overdue_cutoff(grace)
        ).values_list("pk", flat=True)[:BATCH]
    )
    handled = 0
    for pk in ids:
        try:
            handled += execution_park_running(
                execution_id=pk,
                why="worker lost: still running",
                actor_label="watchdog",
                grace_seconds=grace,
            )
        except (OperationalError, InterfaceError):
            raise  # the database is gone: the watchdog's loop backs off and tries again
        except Exception:
            logger.exception("watchdog could not park execution %s; skipping it", pk)
    return handled


def sweep_unclaimed(*, now: datetime | None = None) -> int:
    """Re-send the message of each stale `queued` execution, oldest first, and only once it was
    sent bump its `enqueued_at`/`enqueue_count` (a conditional UPDATE: still queued). Nothing is
    counted as sent that was not: a broker error stops the round and propagates (the watchdog
    backs off), and the executions not yet sent stay stale for the next round. Sending first is
    the safe order: a duplicate message is harmless, claiming is a compare-and-set."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=idc_settings.REQUEUE_AFTER_SECONDS)
    stale = list(
        Execution.objects.filter(state=ExecutionState.QUEUED, enqueued_at__lt=cutoff)
        .order_by("enqueued_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    handled = 0
    try:
        for pk in stale:
            queue.enqueue(pk)
            handled += Execution.objects.filter(pk=pk, state=ExecutionState.QUEUED).update(
                enqueued_at=now, enqueue_count=F("enqueue_count") + 1
            )
    except Exception:
        if handled:
            logger.info("watchdog re-enqueued %d unclaimed executions, then failed", handled)
        raise
    if handled:
        logger.info("watchdog re-enqueued %d unclaimed executions", handled)
    return handled
