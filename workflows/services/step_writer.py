"""Turns the walk's step records into rows with as few commits as crash-safety allows.

Steps of blocks that change nothing outside are only kept in memory and written with the
execution's final state (one commit). A block that changes an external system first writes its
intent (a `started` step, plus any steps before it) in one commit, so a killed worker leaves a
trace of what may have happened; its result is written with the final state.
"""

from __future__ import annotations

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
}


def _duration_ms(record: StepRecord) -> int:
    return _duration(record.started_at, record.finished_at)


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
        duration_ms=_duration_ms(record),
    )


class StepWriter:
    def __init__(self, execution: Execution) -> None:
        self.execution = execution
        self.saved: set[int] = set()  # seqs already written in their final form
        self.intents: dict[int, Step] = {}  # seq -> the `started` row of an external call

    def write_intent(self, records: list[StepRecord], *, seq: int, block: Any, call: Any) -> None:
        """Write pending steps and a `started` step for the call about to be made."""
        pending = [r for r in records if r.seq not in self.saved and r.seq not in self.intents]
        intent = Step(
            execution=self.execution,
            seq=seq,
            block_key=block.key,
            block_kind=block.kind,
            block_type=block.type,
            state=StepState.STARTED,
            input=redact(
                {"connector": call.connector, "operation": call.operation, "args": call.args}
            ),
            started_at=timezone.now(),
        )
        Step.objects.bulk_create([*(_row(self.execution, r) for r in pending), intent])
        self.saved.update(r.seq for r in pending)
        self.intents[seq] = intent

    def write_final(self, records: list[StepRecord], *, abandoned_reason: str = "") -> None:
        """Write what is left: new steps in one insert, finished intents in one update.

        An intent with no result (the window ran out during its call) is marked failed with
        `abandoned_reason`: the external system may or may not have applied it.
        """
        new_rows, finished = [], []
        for record in records:
            if record.seq in self.saved:
                continue
            row = _row(self.execution, record)
            intent = self.intents.pop(record.seq, None)
            if intent is None:
                new_rows.append(row)
            else:
                row.pk = intent.pk
                finished.append(row)
        Step.objects.bulk_create(new_rows)
        for intent in self.intents.values():
            intent.state = StepState.FAILED
            intent.error = abandoned_reason or "no result recorded"
            intent.finished_at = timezone.now()
            intent.duration_ms = _duration(intent.started_at, intent.finished_at)
            finished.append(intent)
        if finished:
            Step.objects.bulk_update(
                finished,
                [
                    "state",
                    "outcome",
                    "input",
                    "output",
                    "error",
                    "finished_at",
                    "duration_ms",
                    "started_at",
                ],
            )
        self.intents.clear()
        self.saved.update(r.seq for r in records)


def _duration(started: Any, finished: Any) -> int:
    return max(0, int((finished - started).total_seconds() * 1000))
