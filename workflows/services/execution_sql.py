"""PostgreSQL: a worker's claim and its finish, each as one statement.

A statement of data-modifying CTEs is atomic on its own, so in autocommit each is one round trip
and one commit, where the ORM took a BEGIN, a statement per table and a COMMIT (about 10 round
trips and most of a no-op execution's cost). The fence stays exact: every other part of the
statement writes only if the compare-and-set on the execution's row returned it. With the audit
sequencer on, the events go in the same statement as pending rows; otherwise the caller appends
them to the chain in its transaction. SQLite (one writer, no such CTEs) keeps the ORM's path.
"""

from __future__ import annotations

import json
from typing import Any, cast

from django.db import connection, models

from audit.models import AuditEvent
from audit.services import pending_insert, sequenced
from connectors.models import Connector
from idconfluence.sql import (
    columns,
    converted,
    from_row,
    prepared_cursor,
    table,
    upsert_clause,
    values_insert,
)
from workflows.models import Execution, Run, Step
from workflows.status import ExecutionState

STEP_UPDATED = [
    "block_key",
    "block_kind",
    "block_type",
    "state",
    "outcome",
    "input",
    "output",
    "error",
    "started_at",
    "finished_at",
    "duration_ms",
]


def available() -> bool:
    return connection.vendor == "postgresql"


def stores_events() -> bool:
    """Audit events go in the statement (as pending rows) only with the sequencer on; else the
    caller appends them to the chain in the statement's transaction."""
    return sequenced()


def events_in_statement(events: list[AuditEvent], guard: str) -> tuple[str, list[Any]]:
    if not events:
        return "", []
    sql, params = pending_insert(events, only_if=guard)
    return f", audit AS ({sql})", params


def claim(
    *,
    execution_id: int,
    window: float,
    worker: str,
    checkpoint: dict[str, Any],
    event: AuditEvent | None,
    connector_names: list[str],
) -> tuple[Execution, dict[str, Any], dict[str, list[Any]]] | None:
    """Compare-and-set `queued` -> `running` under a lock that skips a row another worker holds;
    the deadline is stamped by this statement, on the database's clock. Returns the execution
    as claimed, its run's context, and each named connector's [enabled, fingerprint]."""
    ex = table(Execution)
    audit, audit_params = events_in_statement([event] if event else [], "claimed")
    fingerprint = "md5(c.type || c.config::text || c.secrets_encrypted)"
    sql = (
        f"WITH claimed AS (UPDATE {ex} SET state = %s, lease = lease + 1, "  # noqa: S608
        "started_at = statement_timestamp(), "
        "deadline = statement_timestamp() + make_interval(secs => %s), worker = %s, "
        f"checkpoint = %s::jsonb WHERE id = (SELECT id FROM {ex} WHERE id = %s AND state = %s "
        f"FOR UPDATE SKIP LOCKED) RETURNING {columns(Execution)}){audit} "
        f"SELECT claimed.*, r.context, (SELECT coalesce(jsonb_object_agg(c.name, "
        f"jsonb_build_array(c.enabled, {fingerprint})), '{{}}'::jsonb) "
        f"FROM {table(Connector)} c WHERE c.name = ANY(%s)) "
        f"FROM claimed JOIN {table(Run)} r ON r.id = claimed.run_id"
    )
    params = [
        ExecutionState.RUNNING,
        window,
        worker,
        _json(checkpoint),
        execution_id,
        ExecutionState.QUEUED,
        *audit_params,
        connector_names,
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(Execution._meta.concrete_fields)
    context_field = Run._meta.get_field("context")
    context = converted(context_field, row[width])
    return from_row(Execution, row[:width]), context, _loaded(row[width + 1])


def finish(
    *,
    execution: Execution,
    lease: int,
    fields: dict[str, str],
    steps: list[Step],
    run_fields: dict[str, Any],
    run_finished: bool,
    events: list[AuditEvent],
) -> bool:
    """The execution's end (`fields`: state and its reasons), its remaining steps, its run's
    state and context, and (sequencer on) its audit events: all or, when the fence fails
    (the execution is no longer `running` under `lease`), nothing. True when written."""
    quote = connection.ops.quote_name
    sets = ", ".join(f"{quote(name)} = %s" for name in fields)
    sql = (
        f"WITH fenced AS (UPDATE {table(Execution)} SET {sets}, "  # noqa: S608
        "finished_at = statement_timestamp() WHERE id = %s AND state = %s AND lease = %s "
        "RETURNING id)"
    )
    params: list[Any] = [*fields.values(), execution.pk, ExecutionState.RUNNING, lease]
    if steps:
        conflict = upsert_clause(Step, ["execution", "seq"], STEP_UPDATED)
        insert, values = values_insert(Step, steps, only_if="fenced", on_conflict=conflict)
        sql += f", steps AS ({insert})"
        params += values
    run_sets = [f"{quote(name)} = %s" for name in run_fields]
    if run_finished:
        run_sets.append("finished_at = statement_timestamp()")
    run_values = [
        _run_field(name).get_db_prep_save(value, connection) for name, value in run_fields.items()
    ]
    sql += (
        f", run AS (UPDATE {table(Run)} SET {', '.join(run_sets)} "  # noqa: S608
        "WHERE id = %s AND EXISTS (SELECT 1 FROM fenced))"
    )
    params += [*run_values, execution.run_id]
    audit, audit_params = events_in_statement(events, "fenced")
    sql += f"{audit} SELECT count(*) FROM fenced"  # noqa: S608 - parts built from the models
    params += audit_params
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        (count,) = cursor.fetchone()
    return bool(count)


def _run_field(name: str) -> models.Field[Any, Any]:
    return cast("models.Field[Any, Any]", Run._meta.get_field(name))


def _json(value: Any) -> Any:
    return Execution._meta.get_field("checkpoint").get_db_prep_save(value, connection)


def _loaded(value: Any) -> dict[str, list[Any]]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})
