"""Claiming a queued execution: a compare-and-set on `queued` under a row lock that skips rows
another worker holds, so a duplicated queue message does nothing.

The claim bumps the execution's lease (every later write of the worker is fenced by it) and
stamps the deadline last, on the database's clock, once the row lock is held and the program is
loaded: waiting for a lock comes out of no one's window. (Its audit event takes no shared lock:
audit/sequencer.py seals it after the commit.) The worker's own deadline is
the same length on its monotonic clock, counted from that statement.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Now

from connectors.services import get_many
from idconfluence.conf import idc_settings
from workflows.engine.program import Program, program_connectors
from workflows.models import Execution
from workflows.programs import load_program
from workflows.services.run_audit import audit_execution
from workflows.status import ExecutionState


@dataclass(frozen=True)
class Claim:
    execution: Execution
    program: Program | None  # None: the version could not be loaded (connectors[""] says why)
    connectors: dict[str, Any]
    lease: int
    ends_at: float  # time.monotonic() at which the window closes


def execution_claim(*, execution_id: int, worker: str = "") -> Claim | None:
    """Take a queued execution, or None when it is not queued any more."""
    window = float(idc_settings.EXECUTION_WINDOW_SECONDS)
    with transaction.atomic():
        execution = (
            Execution.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("run", "run__workflow", "run__version")
            .filter(pk=execution_id, state=ExecutionState.QUEUED)
            .first()
        )
        if execution is None:
            return None
        program: Program | None
        try:
            program = load_program(execution.run.version)
            connectors: dict[str, Any] = get_many({name for name, _ in program_connectors(program)})
        except Exception as exc:  # an unloadable version must park, not roll back the claim
            program, connectors = None, {"": exc}
        start = execution.start_block or (program.graph.trigger().key if program else "")
        execution.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        audit_execution(execution, "execution.started", {"worker": execution.worker})
        Execution.objects.filter(pk=execution.pk).update(
            state=ExecutionState.RUNNING,
            lease=F("lease") + 1,
            started_at=Now(),
            deadline=models.ExpressionWrapper(
                Now() + models.Value(timedelta(seconds=window)),
                output_field=models.DateTimeField(),
            ),
            worker=execution.worker,
            checkpoint={"block": start},
        )
        ends_at = time.monotonic() + window
    execution.state = ExecutionState.RUNNING
    execution.lease += 1  # the row was locked: nobody else moved it
    return Claim(execution, program, connectors, execution.lease, ends_at)
