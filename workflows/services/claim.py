"""Claiming a queued execution: a compare-and-set on `queued` under a row lock that skips rows
another worker holds, so a duplicated queue message does nothing.

Executions are first *prepared* (one read for a whole batch, no lock): each one's run, workflow
and version, and its compiled program, so that loading the program never comes out of the
window. The claim then bumps the execution's lease (every later write of the worker is fenced by
it) and stamps the deadline, on the database's clock: on PostgreSQL in one statement with its
audit event and its connectors' fingerprints (workflows/services/execution_sql.py), elsewhere in
a transaction of the ORM's. The worker's own deadline is the same length on its monotonic clock,
counted from that statement.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, models, transaction
from django.db.models import F
from django.db.models.functions import Now

from audit.services import append
from connectors.services import get_current, get_many
from idconfluence.conf import idc_settings
from workflows.engine.program import Program, program_connectors
from workflows.models import Execution
from workflows.programs import load_program
from workflows.services import execution_sql
from workflows.services.run_audit import execution_event
from workflows.status import ExecutionState


@dataclass(frozen=True)
class Prepared:
    execution: Execution  # as read while queued, with its run, workflow and version
    program: Program | None  # None: the version could not be loaded (`error` says why)
    error: Exception | None = None

    @property
    def connector_names(self) -> set[str]:
        return {name for name, _ in program_connectors(self.program)} if self.program else set()

    @property
    def start(self) -> str:
        program = self.program
        return self.execution.start_block or (program.graph.trigger().key if program else "")


@dataclass(frozen=True)
class Claim:
    execution: Execution
    program: Program | None  # None: the version could not be loaded (connectors[""] says why)
    connectors: dict[str, Any]
    lease: int
    ends_at: float  # time.monotonic() at which the window closes


def execution_prepare(execution_ids: Iterable[int]) -> dict[int, Prepared]:
    """The queued ones of `execution_ids`, read together with what their claims need."""
    queued = Execution.objects.select_related("run", "run__workflow", "run__version").filter(
        pk__in=list(execution_ids), state=ExecutionState.QUEUED
    )
    prepared = {}
    with transaction.atomic(savepoint=False):  # one read, however many queries a load takes
        for execution in queued:
            try:
                program = load_program(execution.run.version)
            except DatabaseError:
                raise  # the batch stays queued: the watchdog sends it again
            except Exception as exc:  # an unloadable version must park, not stop the batch
                prepared[execution.pk] = Prepared(execution, None, exc)
            else:
                prepared[execution.pk] = Prepared(execution, program)
    return prepared


class ClaimBatch:
    """The claims of one message's executions, in order. A claim that finds its execution not
    yet prepared reads it and the next ones (up to PREPARED_AT_ONCE) in its own transaction, so
    a batch costs no extra commit for its reads; the others claim in one statement each."""

    PREPARED_AT_ONCE = 50

    def __init__(self, execution_ids: list[int]) -> None:
        self.order = {pk: index for index, pk in enumerate(execution_ids)}
        self.ids = execution_ids
        self.prepared: dict[int, Prepared] = {}
        self.read_up_to = 0  # ids before this index were read

    def claim(self, execution_id: int, worker: str = "") -> Claim | None:
        index = self.order.get(execution_id, len(self.ids))
        if index < self.read_up_to:
            prepared = self.prepared.get(execution_id)
            return None if prepared is None else _claim(prepared, worker)
        with transaction.atomic():
            chunk = self.ids[index : index + self.PREPARED_AT_ONCE] or [execution_id]
            self.prepared = execution_prepare(chunk)
            self.read_up_to = index + self.PREPARED_AT_ONCE
            prepared = self.prepared.get(execution_id)
            return None if prepared is None else _claim(prepared, worker)


def execution_claim(*, execution_id: int, worker: str = "") -> Claim | None:
    """Take a queued execution, or None when it is not queued any more (the read and the claim
    in one transaction)."""
    return ClaimBatch([execution_id]).claim(execution_id, worker)


def _claim(prepared: Prepared, worker: str) -> Claim | None:
    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    window = float(idc_settings.EXECUTION_WINDOW_SECONDS)
    claimed = (_claim_in_one_statement if execution_sql.available() else _claim_by_orm)(
        prepared, worker, window
    )
    if claimed is None:
        return None
    execution, connectors = claimed
    ends_at = time.monotonic() + window
    if prepared.program is None:
        connectors = {"": prepared.error}
    return Claim(execution, prepared.program, connectors, execution.lease, ends_at)


def _claim_in_one_statement(
    prepared: Prepared, worker: str, window: float
) -> tuple[Execution, dict[str, Any]] | None:
    queued = prepared.execution
    event = execution_event(queued, "execution.started", {"worker": worker})
    names = prepared.connector_names
    in_statement = execution_sql.stores_events()
    with nullcontext() if in_statement else transaction.atomic():  # one statement, one commit
        row = execution_sql.claim(
            execution_id=queued.pk,
            window=window,
            worker=worker,
            checkpoint={"block": prepared.start},
            event=event if in_statement else None,
            connector_names=sorted(names),
        )
        if row is None:
            return None
        if not in_statement:
            append([event])
    execution, context, states = row
    execution.run = queued.run
    execution.run.context = context
    return execution, get_current(states, names)


def _claim_by_orm(
    prepared: Prepared, worker: str, window: float
) -> tuple[Execution, dict[str, Any]] | None:
    with transaction.atomic():
        execution = (
            Execution.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("run", "run__workflow", "run__version")
            .filter(pk=prepared.execution.pk, state=ExecutionState.QUEUED)
            .first()
        )
        if execution is None:
            return None
        connectors: dict[str, Any] = get_many(prepared.connector_names)
        execution.worker = worker
        append([execution_event(execution, "execution.started", {"worker": worker})])
        Execution.objects.filter(pk=execution.pk).update(
            state=ExecutionState.RUNNING,
            lease=F("lease") + 1,
            started_at=Now(),
            deadline=models.ExpressionWrapper(
                Now() + models.Value(timedelta(seconds=window)),
                output_field=models.DateTimeField(),
            ),
            worker=worker,
            checkpoint={"block": prepared.start},
        )
    execution.state = ExecutionState.RUNNING
    execution.lease += 1  # the row was locked: nobody else moved it
    return execution, connectors
