"""The walk: from the trigger (or the block a run resumes at) to the next thing only the outside
world can do. It returns decisions and step records; the service layer performs and stores them.

Pure blocks (triggers, logic) are evaluated here; a connector call or a human task is handed back
as a command, and `complete_call` folds the call's result back in. Time comes from `clock`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from idconfluence.intake import IntakeError, check_value
from workflows.engine.blocks import CALL, WAIT, Call, Wait
from workflows.engine.errors import EngineError
from workflows.engine.graph import Block
from workflows.engine.program import Program

Clock = Callable[[], dt.datetime]
Check = Callable[[str], None]
OK_OUTCOMES = frozenset({"changed", "already", "would_change"})
# The call may have been applied: never a clean failure, so never the `error` edge; the run
# parks and a retry reconciles with the target first.
UNKNOWN_OUTCOME = "unknown"


@dataclass(frozen=True)
class StepRecord:
    seq: int
    block: Block
    state: str  # succeeded | failed | waiting | unknown
    outcome: str
    input: Any
    output: Any
    error: str
    started_at: dt.datetime
    finished_at: dt.datetime


@dataclass(frozen=True)
class Finished:
    pass


@dataclass(frozen=True)
class Failed:
    block: str
    reason: str


@dataclass(frozen=True)
class NeedsCall:
    block: Block
    call: Call


@dataclass(frozen=True)
class NeedsWait:
    block: Block
    wait: Wait


Command = Finished | Failed | NeedsCall | NeedsWait


@dataclass
class Walk:
    """One execution's progress: where it is, what it knows, how many steps it wrote."""

    cursor: str | None
    context: dict[str, Any]
    seq: int = 0
    steps: list[StepRecord] = field(default_factory=list)

    def variables(self, now: dt.datetime) -> dict[str, Any]:
        return {**self.context, "now": now}


def begin(
    program: Program,
    *,
    context: Mapping[str, Any],
    clock: Clock,
    start_block: str = "",
    resume_outcome: str = "",
    resume_payload: Mapping[str, Any] | None = None,
    seq: int = 0,
) -> Walk:
    """Where an execution starts: the trigger, a block to retry, or past a decided block."""
    walk = Walk(cursor=None, context=dict(context), seq=seq)
    if not start_block:
        walk.cursor = program.graph.trigger().key
    elif resume_outcome:
        block = program.block(start_block)
        now = clock()
        output = dict(resume_payload or {})
        _record(walk, block, "succeeded", resume_outcome, {}, output, "", now, now)
        walk.context[block.key] = output
        walk.cursor = program.graph.next_key(block.key, resume_outcome)
    else:
        walk.cursor = program.block(start_block).key
    return walk


def advance(program: Program, walk: Walk, *, clock: Clock, check: Check | None = None) -> Command:
    """Walk pure blocks until the run ends, fails, or needs the outside world.

    `check(block_key)` runs after every block: the caller's deadline check, so even a block
    that swallowed a stop cannot carry the walk past the window.
    """
    while walk.cursor is not None:
        block = program.block(walk.cursor)
        block_type = program.types[block.key]
        config = program.configs[block.key]
        started = clock()
        try:
            if block_type.effect == CALL:
                call = block_type.call(config, walk.variables(started))
                refusal = _unsendable(call)
                if refusal:
                    step_input = {"connector": call.connector, "operation": call.operation}
                    return _fail(walk, block, step_input, refusal, started, clock())
                return NeedsCall(block, call)
            if block_type.effect == WAIT:
                wait = block_type.wait(config, walk.variables(started))
                _record(walk, block, "waiting", "", wait.task, {}, "", started, clock())
                return NeedsWait(block, wait)
            outcome, output = block_type.evaluate(config, walk.variables(started))
        except EngineError as exc:
            return _fail(walk, block, {}, str(exc), started, clock())
        if check is not None:
            check(block.key)
        _record(walk, block, "succeeded", outcome, {}, output, "", started, clock())
        walk.context[block.key] = output
        walk.cursor = program.graph.next_key(block.key, outcome)
    return Finished()


def complete_call(
    program: Program,
    walk: Walk,
    *,
    call: Call,
    result: Mapping[str, Any],
    started_at: dt.datetime,
    clock: Clock,
) -> Command | None:
    """Record a connector call's result and move on; a Failed command when it failed unhandled."""
    block = program.block(walk.cursor or "")
    step_input = {"connector": call.connector, "operation": call.operation, "args": call.args}
    ok = result.get("outcome") in OK_OUTCOMES
    output = dict(result)
    if ok:
        _record(walk, block, "succeeded", "next", step_input, output, "", started_at, clock())
        walk.context[block.key] = output
        walk.cursor = program.graph.next_key(block.key, "next")
        return None
    reason = str(result.get("message") or result.get("outcome") or "connector call failed")
    if result.get("outcome") == UNKNOWN_OUTCOME:
        reason = f"outcome unknown, the change may have been applied: {reason}"
        _record(walk, block, "unknown", "", step_input, output, reason, started_at, clock())
        return Failed(block.key, reason)
    error_target = program.graph.next_key(block.key, "error")
    if error_target is None:
        return _fail(walk, block, step_input, reason, started_at, clock(), output)
    _record(walk, block, "failed", "error", step_input, output, reason, started_at, clock())
    walk.context[block.key] = output
    walk.cursor = error_target
    return None


def _unsendable(call: Call) -> str:
    """Arguments no target should get and no step could record as sent: a NUL or a lone
    surrogate (from a CEL escape such as "\\u0000"), a non-finite number, an integer past 64 bits,
    a value nested past the intake depth. Nothing is sent; the step says which argument."""
    try:
        check_value(call.args)
    except IntakeError as exc:
        where = exc.path.replace("$", "args", 1)
        return f"argument {where} cannot be sent: {exc.message} ({exc.limit})"
    return ""


def _fail(
    walk: Walk,
    block: Block,
    step_input: Any,
    reason: str,
    started: dt.datetime,
    finished: dt.datetime,
    output: Any = None,
) -> Failed:
    _record(walk, block, "failed", "", step_input, output or {}, reason, started, finished)
    return Failed(block.key, reason)


def _record(
    walk: Walk,
    block: Block,
    state: str,
    outcome: str,
    step_input: Any,
    output: Any,
    error: str,
    started: dt.datetime,
    finished: dt.datetime,
) -> None:
    walk.seq += 1
    walk.steps.append(
        StepRecord(walk.seq, block, state, outcome, step_input, output, error, started, finished)
    )
