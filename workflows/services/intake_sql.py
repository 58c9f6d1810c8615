"""PostgreSQL with the audit sequencer on: an accepted webhook delivery stored in one statement.

The acknowledgement path's cost is round trips and commits. Its run, first execution, delivery
row and `run.started` event go in one statement of INSERT CTEs (autocommit: one commit), with
the run's and the execution's ids drawn from their sequences by the endpoint's lookup
(`id_draws`), so that every row and the event can name them. A replayed event key fails the
whole statement on the delivery's unique constraint and leaves nothing behind, as the
transaction did. Elsewhere (SQLite, the sequencer off) `run_start` stores them through the ORM.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone

from audit.services import build, pending_insert, sequenced
from idconfluence.sql import prepared_cursor, table, values_insert
from workflows.models import Execution, Run, WorkflowVersion
from workflows.models_triggers import WebhookDelivery
from workflows.services.runs import enqueue_on_commit, runnable_version, started_details
from workflows.status import TriggerKind


def available() -> bool:
    return connection.vendor == "postgresql" and sequenced()


def store_accepted(
    *,
    version: WorkflowVersion,
    event: dict[str, Any],
    trigger_ref: str,
    delivery: WebhookDelivery,
    ids: tuple[int, int],
) -> Run:
    """The run a delivery starts, stored with it; raises NotRunnable as `run_start` does, and
    IntegrityError for an event key already accepted. `ids`: the run's and the execution's,
    drawn by the caller's own query (`id_draws`)."""
    workflow = version.workflow
    runnable_version(workflow, version)
    run_id, execution_id = ids
    now = timezone.now()
    run = Run(
        pk=run_id,
        workflow=workflow,
        version=version,
        trigger_kind=TriggerKind.WEBHOOK,
        trigger_ref=trigger_ref,
        input=event,
        context={"event": event},
        created_at=now,
    )
    execution = Execution(
        pk=execution_id, run=run, number=1, queued_at=now, enqueued_at=now, enqueue_count=1
    )
    delivery.run = run
    started = build(
        action="run.started",
        target=run,
        workflow_id=workflow.pk,
        run_id=run.pk,
        execution_id=execution.pk,
        details=started_details(run),
    )
    parts = [
        values_insert(Run, [run], with_pk=True),
        values_insert(Execution, [execution], with_pk=True),
        values_insert(WebhookDelivery, [delivery]),
        pending_insert([started], only_if=""),
    ]
    ctes = [f"{name} AS ({part})" for name, (part, _) in zip("reda", parts, strict=True)]
    sql = f"WITH {', '.join(ctes)} SELECT 1"
    with prepared_cursor() as cursor:
        cursor.execute(sql, [value for _, values in parts for value in values])
    enqueue_on_commit(execution)
    return run


def id_draws() -> list[str]:
    """Two select-list expressions: the next run id and the next execution id (table names from
    the models, as literals)."""
    return [
        f"nextval(pg_get_serial_sequence('{table(model)}', 'id'))" for model in (Run, Execution)
    ]
