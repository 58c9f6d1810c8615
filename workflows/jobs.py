"""The workflow console's bulk actions as background job kinds: retry, re-trigger, mark handled,
cancel, publish. Each item is one service call, re-checked under its own locks; the admin runs
a single selection in the request and hands more to a job (see `idconfluence.jobs`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from idconfluence.jobs.registry import ItemRefused, JobKind, register
from workflows.models import Execution, FrozenVersionError, Run, WorkflowVersion
from workflows.services.runs import (
    NotRetryable,
    NotRunnable,
    execution_resolve,
    execution_retry,
    run_cancel,
    run_retrigger,
)
from workflows.services.versions import PublishRefused, version_publish

#: The services check each item's rules (WORKFLOWS, operate) with the job's starter as actor.
OPERATE = ""
RETRY, RETRIGGER, RESOLVE, CANCEL, PUBLISH = (
    "workflows.execution_retry",
    "workflows.run_retrigger",
    "workflows.execution_resolve",
    "workflows.run_cancel",
    "workflows.version_publish",
)
REFUSALS = (NotRetryable, NotRunnable, FrozenVersionError)  # Denied: the job reports it


def _retry(execution: Execution, actor: Any) -> str:
    new = execution_retry(execution=execution, actor=actor)
    return f"retrying from {new.start_block} as execution {new.pk}."


def _retrigger(run: Run, actor: Any) -> str:
    new = run_retrigger(run=run, actor=actor)
    return f"re-triggered as run {new.pk} on v{new.version.number}."


def _resolve(execution: Execution, actor: Any) -> str:
    execution_resolve(execution=execution, actor=actor)
    return "marked as handled."


def _cancel(run: Run, actor: Any) -> str:
    run_cancel(run=run, actor=actor)
    return "cancelled."


def _publish(version: WorkflowVersion, actor: Any) -> str:
    try:
        version_publish(version=version, actor=actor)
    except PublishRefused as exc:
        raise ItemRefused(
            "; ".join(
                f"{'block ' + block + ': ' if block else ''}{'; '.join(messages)}"
                for block, messages in exc.by_block().items()
            )
        ) from exc
    return "published."


def _handler(
    queryset: models.QuerySet[Any], act: Callable[[Any, Any], str]
) -> Callable[[str, Any], str]:
    """Load the object afresh (it may have changed since the click) and act on it."""

    def handle(object_id: str, actor: Any) -> str:
        row = queryset.filter(pk=object_id).first()
        if row is None:
            raise ItemRefused("it no longer exists")
        try:
            return act(row, actor)
        except REFUSALS as exc:
            raise ItemRefused(str(exc)) from exc

    return handle


def label(row: Any) -> str:
    """How an item is named on the progress page and in the messages."""
    if isinstance(row, WorkflowVersion):
        return f"{row.workflow.slug} v{row.number}"
    return f"{type(row).__name__} {row.pk}"


_executions = Execution.objects.select_related("run", "run__workflow")
_runs = Run.objects.select_related("workflow", "version")
for _name, _verb, _queryset, _act, _permission in (
    (RETRY, "Retry from the failed step", _executions, _retry, OPERATE),
    (RETRIGGER, "Re-trigger", _runs, _retrigger, OPERATE),
    (RESOLVE, "Mark as handled", _executions, _resolve, OPERATE),
    (CANCEL, "Cancel the run", _runs, _cancel, OPERATE),
    (
        PUBLISH,
        "Publish",
        WorkflowVersion.objects.select_related("workflow"),
        _publish,
        "",
    ),
):
    register(JobKind(_name, _verb, _handler(_queryset, _act), _permission))
