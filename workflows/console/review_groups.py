"""The review queue grouped by failure signature (workflow, block, connector, error kind): a
hundred joiners failing on one broken connector are one line to fix and retry, not a hundred.

The signature is computed from what was stored when the execution parked (its failed block,
the failing step's input and output, the reason), never from the live graph, so a group stays
the same while the workflow is edited."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet

from workflows.models import Block, Execution, Step
from workflows.status import ExecutionState, StepState

#: Grouping reads at most this many parked executions (newest first); the page says so.
GROUPING_LIMIT = 5000

_OUTCOME_KINDS = {
    "failed_permanent": "refused by the target",
    "failed_retryable": "target unavailable",
    "unknown": "outcome unknown",
}


@dataclass(frozen=True)
class Signature:
    workflow_id: int
    workflow: str
    block: str
    connector: str
    error_kind: str

    @property
    def key(self) -> str:
        """A short, stable name for the group in URLs (no user text in the path)."""
        text = "\x1f".join((str(self.workflow_id), self.block, self.connector, self.error_kind))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Group:
    signature: Signature
    execution_ids: list[int] = field(default_factory=list)
    newest: datetime | None = None
    reason: str = ""  # the newest member's reason, as an example
    may_have_been_applied: int = 0

    @property
    def count(self) -> int:
        return len(self.execution_ids)

    @property
    def key(self) -> str:
        return self.signature.key


def failing_step(execution: Execution) -> Step | None:
    """The step that parked the execution: the last failed or unknown one of its failed block."""
    steps: Iterable[Step] = getattr(execution, "failing_steps", None) or (
        execution.steps.filter(state__in=(StepState.FAILED, StepState.UNKNOWN)).order_by("-seq")
    )
    for step in steps:
        if step.block_key == execution.failed_block or not execution.failed_block:
            return step
    return None


def error_kind(execution: Execution, step: Step | None) -> str:
    reason = execution.failure_reason
    if reason.startswith("execution window exceeded"):
        return "window exceeded"
    if step is not None and step.state == StepState.UNKNOWN:
        return "outcome unknown"
    outcome = step.output.get("outcome") if step is not None and step.output else None
    if isinstance(outcome, str) and outcome in _OUTCOME_KINDS:
        return _OUTCOME_KINDS[outcome]
    if "too late" in reason:
        return "missed schedule"
    if step is not None:
        return "block error"
    return "no step ran"


def with_failing_steps(queryset: QuerySet[Any]) -> QuerySet[Any]:
    failing = Step.objects.filter(state__in=(StepState.FAILED, StepState.UNKNOWN)).order_by("-seq")
    return queryset.select_related("run", "run__workflow").prefetch_related(
        Prefetch("steps", queryset=failing, to_attr="failing_steps")
    )


def signatures(executions: list[Execution]) -> dict[int, Signature]:
    """Each execution's signature; the connector comes from the failing call, else from the
    failed block's configuration in the version the run used."""
    wanted = {(e.run.version_id, e.failed_block) for e in executions if e.failed_block}
    configured: dict[tuple[int, str], str] = {}
    if wanted:
        rows = Block.objects.filter(
            version_id__in={v for v, _ in wanted}, key__in={k for _, k in wanted}
        ).values_list("version_id", "key", "config")
        for version_id, key, config in rows:
            connector = config.get("connector") if isinstance(config, dict) else None
            configured[(version_id, key)] = connector if isinstance(connector, str) else ""
    found: dict[int, Signature] = {}
    for execution in executions:
        step = failing_step(execution)
        called = step.input.get("connector") if step is not None and step.input else None
        connector = called if isinstance(called, str) else ""
        connector = connector or configured.get(
            (execution.run.version_id, execution.failed_block), ""
        )
        found[execution.pk] = Signature(
            workflow_id=execution.run.workflow_id,
            workflow=execution.run.workflow.slug,
            block=execution.failed_block,
            connector=connector,
            error_kind=error_kind(execution, step),
        )
    return found


def failure_groups(parked: QuerySet[Any]) -> list[Group]:
    """Groups of the parked executions in `parked`, the group with the newest failure first."""
    executions = list(
        with_failing_steps(parked.filter(state=ExecutionState.PARKED)).order_by(
            "-finished_at", "-pk"
        )[:GROUPING_LIMIT]
    )
    groups: dict[Signature, Group] = {}
    by_pk = signatures(executions)
    for execution in executions:
        signature = by_pk[execution.pk]
        group = groups.get(signature)
        if group is None:
            group = groups[signature] = Group(
                signature=signature, newest=execution.finished_at, reason=execution.failure_reason
            )
        group.execution_ids.append(execution.pk)
        step = failing_step(execution)
        if step is not None and step.state == StepState.UNKNOWN:
            group.may_have_been_applied += 1
    return list(groups.values())  # insertion order: newest failure first


def group_members(parked: QuerySet[Any], key: str) -> Group | None:
    """The group named `key` among `parked` (None when no parked execution has it any more)."""
    return next((g for g in failure_groups(parked) if g.key == key), None)
