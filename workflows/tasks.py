"""django-q2 entry points: thin, they take an id and call a service."""

from __future__ import annotations

from workflows.services.executions import execution_run
from workflows.services.schedules import schedules_fire_due


def execute(execution_id: int) -> str:
    return execution_run(execution_id=execution_id)


def fire_due_schedules() -> int:
    """Every minute (a django-q2 MINUTES schedule): fire the scheduled triggers that are due."""
    return schedules_fire_due()
