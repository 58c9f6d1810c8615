"""Performing one execution inside its window: claim, walk, call connectors, store the outcome.

Commit budget (BENCHMARKS.md goal 0): the claim is one commit, the final state with every step
and audit event is one more, and only a block that changes an external system adds a commit
(its intent, before the call). The window is hard: a HardStop interrupts even a hung call, and
the execution is parked naming the block it was in.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit.services import batch as audit_batch
from audit.services import record
from connectors.base import READ_ONLY_OPERATIONS, Outcome, Result
from connectors.services import get_many
from idconfluence.conf import idc_settings
from workflows.engine import runner
from workflows.engine.deadline import Deadline, HardStop
from workflows.engine.errors import WindowExceeded
from workflows.engine.program import Program, program_connectors
from workflows.engine.runner import Failed, Finished, NeedsCall, NeedsWait, Walk
from workflows.models import Execution, Run
from workflows.programs import load_program
from workflows.services.step_writer import StepWriter
from workflows.status import ExecutionState, RunState

logger = logging.getLogger(__name__)


def execution_claim(*, execution_id: int, worker: str = "") -> Execution | None:
    """Take a queued execution (row lock, skipping rows another worker holds) and stamp its
    deadline. None when it is not queued any more: a duplicate queue message does nothing."""
    with transaction.atomic(savepoint=False):
        execution = (
            Execution.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("run", "run__workflow", "run__version")
            .filter(pk=execution_id, state=ExecutionState.QUEUED)
            .first()
        )
        if execution is None:
            return None
        now = timezone.now()
        execution.state = ExecutionState.RUNNING
        execution.started_at = now
        execution.deadline = now + timedelta(seconds=idc_settings.EXECUTION_WINDOW_SECONDS)
        execution.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        execution.save(update_fields=["state", "started_at", "deadline", "worker"])
        _audit(execution, "execution.started", {"worker": execution.worker})
    return execution


def execution_run(*, execution_id: int, worker: str = "") -> str:
    """Claim and perform an execution; returns its final state ('skipped' if not claimable).

    The claim, the compiled program and the connectors it uses are read in one transaction, so
    blocks that change nothing outside cost no commit of their own.
    """
    with transaction.atomic():
        execution = execution_claim(execution_id=execution_id, worker=worker)
        if execution is None:
            return "skipped"
        try:
            program = load_program(execution.run.version)
            connectors = get_many({name for name, _ in program_connectors(program)})
        except Exception as exc:  # an unloadable version must park, not roll back the claim
            program, connectors = None, {"": exc}  # type: ignore[dict-item]
    return _Performer(execution, program, connectors).perform()


class _Performer:
    def __init__(
        self, execution: Execution, program: Program | None, connectors: dict[str, Any]
    ) -> None:
        self.execution = execution
        self.program = program
        self.connectors = connectors
        self.run: Run = execution.run
        self.writer = StepWriter(execution)
        deadline = execution.deadline or timezone.now()  # always stamped by the claim
        left = (deadline - timezone.now()).total_seconds()
        self.deadline = Deadline(time.monotonic() + left)
        self.stop = HardStop(left)
        self.walk: Walk | None = None
        self.audit: list[tuple[str, dict[str, Any]]] = []

    def perform(self) -> str:
        try:
            with self.stop:
                state, reason, block = self._walk()
        except WindowExceeded:
            block = (self.walk.cursor if self.walk else "") or ""
            state, reason = ExecutionState.PARKED, f"execution window exceeded at step {block}"
        except Exception as exc:  # a bug or an unreachable database must still park, not vanish
            logger.exception("execution %s failed unexpectedly", self.execution.pk)
            block = (self.walk.cursor if self.walk else "") or ""
            state, reason = ExecutionState.PARKED, f"{block}: {type(exc).__name__}: {exc}"
        try:
            self._finish(state, reason, block or "")
        except DatabaseError:
            # The stop may have landed inside a connector's own query and left the connection
            # mid-protocol: reconnect once, so the execution is parked now, not by the watchdog.
            logger.warning("execution %s: reconnecting to record its end", self.execution.pk)
            raw = connection.connection
            if raw is not None and hasattr(raw, "cancel_safe"):  # psycopg 3: stop the orphan
                with contextlib.suppress(Exception):
                    raw.cancel_safe(timeout=1)
            connection.close()
            self._finish(state, reason, block or "")
        return state

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
            command = runner.advance(program, walk, clock=timezone.now)
            if isinstance(command, Finished):
                return ExecutionState.SUCCEEDED, "", ""
            if isinstance(command, Failed):
                return (
                    ExecutionState.PARKED,
                    f"step {command.block} failed: {command.reason}",
                    command.block,
                )
            if isinstance(command, NeedsWait):
                return ExecutionState.WAITING, "", command.block.key
            failed = self._call(program, walk, command)
            if failed is not None:
                return (
                    ExecutionState.PARKED,
                    f"step {failed.block} failed: {failed.reason}",
                    failed.block,
                )

    def _call(self, program: Any, walk: Walk, command: NeedsCall) -> Failed | None:
        call, block = command.call, command.block
        connector = self.connectors[call.connector]
        started = timezone.now()
        timeout = self.deadline.call_timeout(time.monotonic())
        if isinstance(connector, Exception):  # missing or disabled since publishing
            result = Result(Outcome.PERMANENT, str(connector))
        elif self.run.dry_run:
            result = connector.plan(call.operation, call.args, timeout=timeout)
        else:
            if call.operation not in READ_ONLY_OPERATIONS:
                with self.stop.shielded(), transaction.atomic():
                    self.writer.write_intent(walk.steps, seq=walk.seq + 1, block=block, call=call)
            result = connector.call(call.operation, call.args, timeout=timeout)
            if call.operation not in READ_ONLY_OPERATIONS:
                self.audit.append(
                    (
                        "step.external_call",
                        {
                            "block": block.key,
                            "connector": call.connector,
                            "operation": call.operation,
                            "target": call.args,
                            "outcome": result.outcome.value,
                            "attempts": result.attempts,
                        },
                    )
                )
        outcome = runner.complete_call(
            program,
            walk,
            call=call,
            result=result.to_dict(),
            started_at=started,
            clock=timezone.now,
        )
        return outcome if isinstance(outcome, Failed) else None

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

    def _finish(self, state: str, reason: str, block: str) -> None:
        """One commit: every step left, the execution's and the run's state, their audit events."""
        execution, run, walk = self.execution, self.run, self.walk
        now = timezone.now()
        run_state = {
            ExecutionState.SUCCEEDED.value: RunState.SUCCEEDED,
            ExecutionState.WAITING.value: RunState.WAITING,
        }.get(str(state), RunState.FAILED)
        with transaction.atomic(), audit_batch():
            self.writer.write_final(walk.steps if walk else [], abandoned_reason=reason)
            execution.state, execution.finished_at = state, now
            execution.failure_reason = reason
            execution.failed_block = block if state == ExecutionState.PARKED else ""
            execution.waiting_block = block if state == ExecutionState.WAITING else ""
            execution.save(
                update_fields=[
                    "state",
                    "finished_at",
                    "failure_reason",
                    "failed_block",
                    "waiting_block",
                ]
            )
            fields: dict[str, Any] = {"state": run_state}
            if walk is not None:
                fields["context"] = {k: v for k, v in walk.context.items() if k != "run"}
            if run_state != RunState.WAITING:
                fields["finished_at"] = now
            Run.objects.filter(pk=run.pk).update(**fields)
            for action, details in self.audit:
                _audit(execution, action, details)
            _audit(execution, f"execution.{state}", {"reason": reason, "block": block})
            _audit(execution, f"run.{run_state}", {}, target=run)


def _audit(execution: Execution, action: str, details: dict[str, Any], target: Any = None) -> None:
    run = execution.run
    record(
        action=action,
        actor_label="system",
        target=target or execution,
        workflow_id=run.workflow_id,
        run_id=run.pk,
        execution_id=execution.pk,
        details=details,
    )
