"""Performing one execution inside its window: claim, walk, call connectors, store the outcome.

Commit budget (BENCHMARKS.md goal 0): the claim is one commit, the final state with every step
and audit event is one more, and only a block that changes an external system adds a commit
(its intent, before the call, carrying the previous call's result and the context so far as a
checkpoint). The window is hard: a HardStop interrupts even a hung call, the deadline is checked
after every block and call, and a guard thread parks the execution if the main thread is stuck
where no signal reaches. Every write after the claim is fenced by the claim's lease: a worker
that was parked by the watchdog or the guard discards what it did instead of overwriting it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from approvals.services.opening import task_open
from audit.services import append as append_events
from connectors.base import READ_ONLY_OPERATIONS, Outcome, Result
from idconfluence.ops.logs import log_context
from idconfluence.redaction import storable
from workflows.engine import runner
from workflows.engine.deadline import Deadline, HardStop
from workflows.engine.errors import WindowExceeded
from workflows.engine.program import Program
from workflows.engine.runner import Failed, Finished, NeedsCall, NeedsWait, Walk
from workflows.models import Execution, Run
from workflows.services import execution_sql
from workflows.services.claim import Claim, ClaimBatch
from workflows.services.guard import DeadlineGuard
from workflows.services.run_audit import audit_execution, execution_event
from workflows.services.step_writer import StepWriter, intent_row
from workflows.status import ExecutionState, RunState

logger = logging.getLogger(__name__)
T = TypeVar("T")
DB_ATTEMPTS = 3  # a write that lost its connection is tried again on a new one


class FencedOut(Exception):
    """The execution is no longer this worker's (parked by the watchdog or the guard)."""


def execution_run(*, execution_id: int, worker: str = "", batch: ClaimBatch | None = None) -> str:
    """Claim and perform an execution; returns its final state ('skipped' if not claimable).
    `batch`: the claims of the message it came in, which read their executions together."""
    claim = (batch or ClaimBatch([execution_id])).claim(execution_id, worker)
    if claim is None:
        return "skipped"
    run = claim.execution.run
    with log_context(execution_id=execution_id, run_id=run.pk, workflow=run.workflow.slug):
        return _Performer(claim).perform()


def idempotency_key(run: Run, block_key: str) -> str:
    """Stable across retries of the block in its run (a graph has no cycles)."""
    return f"idc-{run.pk}-{block_key}"


class _Performer:
    def __init__(self, claim: Claim) -> None:
        self.execution = claim.execution
        self.program: Program | None = claim.program
        self.connectors = claim.connectors
        self.lease = claim.lease
        self.run: Run = claim.execution.run
        self.writer = StepWriter(self.execution)
        left = claim.ends_at - time.monotonic()
        self.deadline = Deadline(claim.ends_at)
        self.stop = HardStop(left)
        self.guard = DeadlineGuard(
            execution_id=self.execution.pk,
            lease=self.lease,
            ends_at=claim.ends_at,
            current_block=self._cursor,
        )
        self.walk: Walk | None = None
        self.audit: list[tuple[str, dict[str, Any]]] = []
        self.calls = 0
        self.waiting_task: dict[str, Any] | None = None

    def _cursor(self) -> str:
        return (self.walk.cursor if self.walk else "") or self.execution.start_block or ""

    def perform(self) -> str:
        with self.guard:
            try:
                with self.stop:
                    state, reason, block = self._walk()
            except FencedOut:
                return self._discard("fenced out before a call", "")
            except WindowExceeded:
                block = self._cursor()
                state, reason = ExecutionState.PARKED, f"execution window exceeded at step {block}"
            except Exception as exc:  # a bug or an unreachable database must still park
                logger.exception("execution %s failed unexpectedly", self.execution.pk)
                block = self._cursor()
                state, reason = ExecutionState.PARKED, f"{block}: {type(exc).__name__}: {exc}"
            try:
                self._durably(lambda: self._finish(state, reason, block))
            except FencedOut:
                return self._discard(state, reason)
            except DatabaseError:
                logger.exception("execution %s: could not record its end", self.execution.pk)
                return "lost"  # still `running`: the watchdog parks it from its checkpoint
        return state

    def _check(self, block_key: str = "") -> None:
        """After every block and call: a stop that was swallowed still ends the execution."""
        if self.stop.fired or self.deadline.exceeded(time.monotonic()):
            raise WindowExceeded(f"execution window exceeded at step {block_key}")

    def _walk(self) -> tuple[str, str, str]:
        program = self.program
        if program is None:
            raise self.connectors[""]
        execution = self.execution
        self.walk = walk = runner.begin(
            program,
            context={**self.run.context, "run": self._run_vars()},
            clock=timezone.now,
            start_block=execution.start_block,
            resume_outcome=execution.resume_outcome,
            resume_payload=execution.resume_payload,
        )
        while True:
            command = runner.advance(program, walk, clock=timezone.now, check=self._check)
            if isinstance(command, Finished):
                return ExecutionState.SUCCEEDED, "", ""
            if isinstance(command, Failed):
                return _parked(command)
            if isinstance(command, NeedsWait):
                self.waiting_task = command.wait.task
                return ExecutionState.WAITING, "", command.block.key
            failed = self._call(program, walk, command)
            if failed is not None:
                return _parked(failed)

    def _call(self, program: Program, walk: Walk, command: NeedsCall) -> Failed | None:
        call, block = command.call, command.block
        connector = self.connectors[call.connector]
        started = timezone.now()
        timeout = self.deadline.call_timeout(time.monotonic())
        changes = call.operation not in READ_ONLY_OPERATIONS
        if isinstance(connector, Exception):  # missing or disabled since publishing
            result = Result(Outcome.PERMANENT, str(connector))
        elif self.run.dry_run:
            result = connector.plan(call.operation, call.args, timeout=timeout)
        else:
            if changes:
                self._durably(lambda: self._write_intent(walk, command))
            result = connector.call(
                call.operation,
                call.args,
                timeout=self.deadline.call_timeout(time.monotonic()),
                idempotency_key=idempotency_key(self.run, block.key),
                reconcile=self._reconciles(block.key),
            )
            self.calls += 1
            if changes:
                self.audit.append(("step.external_call", _call_details(block.key, call, result)))
        self._check(block.key)
        outcome = runner.complete_call(
            program,
            walk,
            call=call,
            result=result.to_dict(),
            started_at=started,
            clock=timezone.now,
        )
        return outcome if isinstance(outcome, Failed) else None

    def _reconciles(self, block_key: str) -> bool:
        """A retry's first call repeats one whose outcome may be unknown: read the target first."""
        return (
            bool(self.execution.retry_of_id)
            and not self.calls
            and block_key == (self.execution.start_block)
        )

    def _fence(self, **fields: Any) -> None:
        """The first statement of every write after the claim: still ours, or stop here."""
        mine = Execution.objects.filter(
            pk=self.execution.pk, state=ExecutionState.RUNNING, lease=self.lease
        )
        if not mine.update(**fields):
            raise FencedOut(f"execution {self.execution.pk} is no longer this worker's")

    def _write_intent(self, walk: Walk, command: NeedsCall) -> None:
        """One commit before the call: its intent, earlier steps, the context so far."""
        rows = self.writer.pending(walk.steps)
        intent = intent_row(
            self.execution, seq=walk.seq + 1, block=command.block, call=command.call
        )
        checkpoint = {"block": command.block.key, "seq": walk.seq, "context": _saved(walk.context)}
        with self.stop.shielded(), transaction.atomic():
            self._fence(checkpoint=checkpoint)
            self.writer.write([*rows, intent])
        self.writer.stored(final=[r.seq for r in rows], intents=[intent.seq])

    def _finish(self, state: str, reason: str, block: str) -> None:
        """One commit: every step left, the execution's and the run's state, their audit events
        (on PostgreSQL one statement, see execution_sql.py; the ORM's statements elsewhere)."""
        walk = self.walk
        rows = self.writer.pending(walk.steps if walk else [])
        open_intents = self.writer.intents - {row.seq for row in rows}
        run_state = {
            ExecutionState.SUCCEEDED.value: RunState.SUCCEEDED,
            ExecutionState.WAITING.value: RunState.WAITING,
        }.get(str(state), RunState.FAILED)
        ending = {
            "state": state,
            "failure_reason": reason,
            "failed_block": block if state == ExecutionState.PARKED else "",
            "waiting_block": block if state == ExecutionState.WAITING else "",
        }
        run_fields: dict[str, Any] = {"state": run_state}
        if walk is not None:
            run_fields["context"] = _saved(walk.context)
        ended = {"reason": reason, "block": block}
        events = [execution_event(self.execution, action, info) for action, info in self.audit]
        events.append(execution_event(self.execution, f"execution.{state}", ended))
        events.append(execution_event(self.execution, f"run.{run_state}", {}, target=self.run))
        opens_task = state == ExecutionState.WAITING and self.waiting_task is not None
        finished = run_state != RunState.WAITING
        one_statement = execution_sql.available()
        in_statement = one_statement and execution_sql.stores_events()
        alone = in_statement and not open_intents and not opens_task  # no transaction needed
        try:
            with contextlib.nullcontext() if alone else transaction.atomic():
                if one_statement:
                    written = execution_sql.finish(
                        execution=self.execution,
                        lease=self.lease,
                        fields=ending,
                        steps=rows,
                        run_fields=run_fields,
                        run_finished=finished,
                        events=events if in_statement else [],
                    )
                    if not written:
                        raise FencedOut(f"execution {self.execution.pk} is no longer this worker's")
                else:
                    self._fence(finished_at=Now(), **ending)
                    self.writer.write(rows)
                    if finished:
                        run_fields["finished_at"] = Now()
                    Run.objects.filter(pk=self.run.pk).update(**run_fields)
                self.writer.close_open_intents(open_intents, reason)
                if not in_statement:
                    append_events(events)
                if opens_task and self.waiting_task is not None:
                    task_open(execution=self.execution, block_key=block, task=self.waiting_task)
        except FencedOut:
            if not self._committed_before(state):
                raise
        self.writer.stored(final=[row.seq for row in rows])

    def _committed_before(self, state: str) -> bool:
        """A commit whose answer was lost with the connection: was it ours after all?"""
        row = Execution.objects.filter(pk=self.execution.pk).values("state", "lease").first()
        return row == {"state": state, "lease": self.lease}

    def _discard(self, state: str, reason: str) -> str:
        """A fenced-out worker: what it did is audited, nothing else of the run is touched."""
        logger.warning("execution %s: fenced out; its result is discarded", self.execution.pk)
        details = {
            "would_have_been": state,
            "reason": reason,
            "lease": self.lease,
            "external_calls": [d for _, d in self.audit],
        }
        with contextlib.suppress(DatabaseError):
            self._durably(
                lambda: audit_execution(self.execution, "execution.result_discarded", details)
            )
        return "fenced_out"

    def _durably(self, write: Callable[[], T]) -> T:
        """Run a write; after a lost connection (killed backend, restarted server) on a new one."""
        for attempt in range(1, DB_ATTEMPTS + 1):
            try:
                return write()
            except (DataError, IntegrityError):
                raise  # the same write would fail the same way on any connection
            except DatabaseError:  # lost, killed, or left mid-protocol by a stop inside a query
                if attempt == DB_ATTEMPTS:
                    raise
                logger.warning("execution %s: reconnecting to write", self.execution.pk)
                _reconnect()
                time.sleep(0.1 * attempt)
        raise AssertionError("unreachable")

    def _run_vars(self) -> dict[str, Any]:
        run = self.run
        return {
            "id": run.pk,
            "workflow": run.workflow.slug,
            "version": run.version.number,
            "trigger": run.trigger_kind,
            "dry_run": run.dry_run,
            "started_at": run.created_at.isoformat(),
        }


def _parked(failed: Failed) -> tuple[str, str, str]:
    return ExecutionState.PARKED, f"step {failed.block} failed: {failed.reason}", failed.block


def _saved(context: dict[str, Any]) -> dict[str, Any]:
    """The context as stored (checkpoint, run): whatever a target answered or CEL computed
    (NaN, 1.0/0.0, a NUL), in a form jsonb takes."""
    saved: dict[str, Any] = storable({key: value for key, value in context.items() if key != "run"})
    return saved


def _call_details(block_key: str, call: Any, result: Result) -> dict[str, Any]:
    return {
        "block": block_key,
        "connector": call.connector,
        "operation": call.operation,
        "target": call.args,
        "outcome": result.outcome.value,
        "attempts": result.attempts,
        "reconciled": bool(result.data.get("reconciled")),
    }


def _reconnect() -> None:
    """The stop may have landed inside a query and left the connection mid-protocol."""
    raw = connection.connection
    if raw is not None and hasattr(raw, "cancel_safe"):  # psycopg 3: stop the orphan query
        with contextlib.suppress(Exception):
            raw.cancel_safe(timeout=1)
    with contextlib.suppress(Exception):
        connection.close()
