"""django-q2 entry points: thin, they take an id and call a service."""

from __future__ import annotations

from workflows.services.executions import execution_run


def execute(execution_id: int) -> str:
    return execution_run(execution_id=execution_id)
