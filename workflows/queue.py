"""Hands execution ids to django-q2. Only ids travel: the database row is the truth, so a lost or
duplicated message can neither lose an execution nor run it twice."""

from __future__ import annotations

from django_q.brokers import Broker, get_broker
from django_q.tasks import async_task

TASK = "workflows.tasks.execute"
_broker: Broker | None = None


def broker() -> Broker:
    """One broker per process: a new Redis connection per enqueue was 7x slower."""
    global _broker
    if _broker is None:
        _broker = get_broker()
    return _broker


def enqueue(execution_id: int) -> None:
    async_task(TASK, execution_id, broker=broker(), task_name=f"execution-{execution_id}")
