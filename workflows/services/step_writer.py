"""Turns the walk's step records into rows with as few commits as crash-safety allows.

Steps of blocks that change nothing outside are only kept in memory and written with the
execution's final state (one commit). A block that changes an external system first writes its
intent (a `started` step, plus every step before it in its final form) in one commit, so a killed
worker leaves a trace of what may have happened. Rows are upserted by (execution, seq), and the
writer only learns what was stored once the transaction has committed (`stored`): a write that
is tried again after a lost connection inserts nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from idconfluence.redaction import redact
from workflows.engine.runner import StepRecord
from workflows.models import Execution, Step
from workflows.status import StepState

_STATE = {
    "succeeded": StepState.SUCCEEDED,
    "failed": StepState.FAILED,
    "waiting": StepState.STARTED,
    "unknown": StepState.UNKNOWN,
}
_UPDATED = [
    "block_key",
    "block_kind",
    "block_type",
    "state",
    "outcome",
    "input",
    "output",
    "error",
    "started_at",
    "finished_at",
    "duration_ms",
]


def _row(execution: Execution, record: StepRecord) -> Step:
    return Step(
        execution=execution,
        seq=record.seq,
        block_key=record.block.key,
        block_kind=record.block.kind,
        block_type=record.block.type,
        state=_STATE[record.state],
        outcome=record.outcome,
        input=redact(record.input),
        output=redact(record.output),
        error=record.error,
        started_at=record.started_at,
        finished_at=record.finished_at,
        duration_ms=_duration(record.started_at, record.finished_at),
    )


def intent_row(execution: Execution, *, seq: int, block: Any, call: Any) -> Step:
    """The `started` step of a call about to be made: what may happen, before it happens."""
    return Step(
        execution=execution,
        seq=seq,
        block_key=block.key,
        block_kind=block.kind,
        block_type=block.type,
        state=StepState.STARTED,
        input=redact({"connector": call.connector, "operation": call.operation, "args": call.args}),
        started_at=timezone.now(),
    )


class StepWriter:
    def __init__(self, execution: Execution) -> None:
        self.execution = execution
        self.saved: set[int] = set()  # seqs committed in their final form
        self.intents: set[int] = set()  # seqs committed as `started` (a call in flight)

    def pending(self, records: Iterable[StepRecord]) -> list[Step]:
        return [_row(self.execution, r) for r in records if r.seq not in self.saved]

    def write(self, rows: list[Step]) -> None:
        """Insert or overwrite `rows` in one statement (inside the caller's transaction)."""
        if rows:
            Step.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["execution", "seq"],
                update_fields=_UPDATED,
            )

    def close_open_intents(self, seqs: Iterable[int], reason: str) -> None:
        """Intents that never got a result: the target may or may not have applied them."""
        open_seqs = sorted(set(seqs))
        if open_seqs:
            now = timezone.now()
            Step.objects.filter(
                execution=self.execution, seq__in=open_seqs, state=StepState.STARTED
            ).update(
                state=StepState.UNKNOWN,
                outcome="unknown",
                error=reason or "no result recorded; the outcome is unknown",
                finished_at=now,
            )

    def stored(self, *, final: Iterable[int] = (), intents: Iterable[int] = ()) -> None:
        """Called after the commit: these seqs are durable now."""
        final = set(final)
        self.saved |= final
        self.intents = (self.intents - final) | set(intents)


def _duration(started: Any, finished: Any) -> int:
    return max(0, int((finished - started).total_seconds() * 1000))
