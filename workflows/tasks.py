"""django-q2 entry points: thin, they take an id and call a service."""

from __future__ import annotations

import time

from idconfluence.conf import idc_settings
from workflows import queue
from workflows.services.claim import ClaimBatch
from workflows.services.executions import execution_run
from workflows.services.schedules import schedules_fire_due


def execute(execution_id: int) -> str:
    return execution_run(execution_id=execution_id)


def execute_many(execution_ids: list[int]) -> str:
    """Several executions, one after another, each claimed (and its deadline stamped) when it
    starts. A new one starts only while a whole window still fits in django-q2's task timeout
    (2 windows + 10 s); the rest go back to the queue as a new message."""
    started = time.monotonic()
    window = float(idc_settings.EXECUTION_WINDOW_SECONDS)
    states: dict[str, int] = {}
    batch = ClaimBatch(execution_ids)
    for index, execution_id in enumerate(execution_ids):
        if index and time.monotonic() - started > window:
            queue.enqueue_many_or_leave_to_watchdog(execution_ids[index:])
            states["sent back"] = len(execution_ids) - index
            break
        state = execution_run(execution_id=execution_id, batch=batch)
        states[state] = states.get(state, 0) + 1
    return ", ".join(f"{count} {state}" for state, count in states.items())


def fire_due_schedules() -> int:
    """Every minute (a django-q2 MINUTES schedule): fire the scheduled triggers that are due."""
    return schedules_fire_due()
