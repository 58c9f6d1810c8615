"""The one way workflows services audit a run's or an execution's change: an event tied to the
run's workflow, the run and one of its executions, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from audit.models import AuditEvent
from audit.services import build, record
from workflows.models import Execution, Run


def record_run_event(
    run: Run,
    action: str,
    *,
    target: Any,
    execution_id: int | None,
    details: dict[str, Any],
    actor: Any = None,
    actor_label: str = "",
) -> None:
    record(
        action=action,
        actor=actor,
        actor_label=actor_label,
        target=target,
        workflow_id=run.workflow_id,
        run_id=run.pk,
        execution_id=execution_id,
        details=details,
    )


def audit_execution(
    execution: Execution,
    action: str,
    details: dict[str, Any],
    target: Any = None,
    actor_label: str = "system",
) -> None:
    """An event a worker, the watchdog or the guard writes about `execution` (or its run)."""
    record_run_event(
        execution.run,
        action,
        target=target or execution,
        execution_id=execution.pk,
        details=details,
        actor_label=actor_label,
    )


def execution_event(
    execution: Execution, action: str, details: dict[str, Any], target: Any = None
) -> AuditEvent:
    """The event `audit_execution` records, built but not stored: for a worker's own statement
    (workflows/services/execution_sql.py), which stores it with the change."""
    return build(
        action=action,
        actor_label="system",
        target=target or execution,
        workflow_id=execution.run.workflow_id,
        run_id=execution.run.pk,
        execution_id=execution.pk,
        details=details,
    )
