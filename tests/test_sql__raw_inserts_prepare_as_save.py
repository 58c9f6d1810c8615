"""The raw inserts of the hot paths (`idconfluence.sql`) send what `save()` would send: a value
of its field's own plain type goes as it is, anything else (an enum member, a number given as
text, a bool in an integer column) through the ORM's preparation. On PostgreSQL the ORM tags ints
as Int4/Int8; a plain int goes untagged, which an INSERT's assignment cast takes the same."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from audit.models import PendingAuditEvent
from idconfluence.sql import _plain, _prepared, stored_fields, values_insert
from workflows.models import Step
from workflows.status import StepState


def orm_values(step: Step) -> list[object]:
    return [f.get_db_prep_save(f.pre_save(step, True), connection) for f in stored_fields(Step)]


def prepared(step: Step) -> list[object]:
    return [_prepared(f, types, step, connection) for f, types in _plain(Step, False)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("state", StepState.SUCCEEDED),  # a str subclass: the ORM's path
        ("seq", "7"),  # text for a number: the ORM makes it 7
        ("duration_ms", True),  # a bool in an integer column: the ORM makes it 1
        ("duration_ms", None),
        ("block_key", "plain text"),
        ("execution_id", 12),
    ],
)
def test_each_value_is_what_save_would_send(field: str, value: object) -> None:
    step = Step(
        execution_id=3,
        seq=1,
        block_key="k",
        block_kind="logic",
        block_type="noop",
        state="succeeded",
        input={"a": 1},
        started_at=datetime(2026, 12, 7, tzinfo=UTC),
    )
    setattr(step, field, value)
    ours, theirs = prepared(step), orm_values(step)
    plain = [(f.name, a, b) for f, a, b in zip(stored_fields(Step), ours, theirs, strict=True)]
    for name, a, b in plain:
        if not hasattr(b, "obj"):  # JSON adapters wrap their value
            # equal, and of the ORM's kind (on PostgreSQL it tags ints as Int4/Int8)
            assert a == b and isinstance(b, type(a)), (name, a, b)
    sql, params = values_insert(Step, [step, step])
    assert sql.startswith(f"INSERT INTO {connection.ops.quote_name(Step._meta.db_table)}")
    given = [value for value in ours if value is not None]  # a VALUES row's NULLs are literals
    assert len(params) in {len(ours), 2 * len(given)}  # arrays (PostgreSQL) or VALUES rows


@pytest.mark.django_db
def test_a_rows_missing_values_go_as_null_literals_and_read_back_as_saved() -> None:
    """Fewer parameters (psycopg converts a statement of up to 50 once): the webhook ack's
    statement has some 60 values, a dozen of them missing."""
    event = PendingAuditEvent(
        occurred_at=datetime(2026, 12, 7, tzinfo=UTC),
        actor_kind="system",
        actor_label="",
        action="run.started",
        target_type="workflows.run",
        target_id="7",
        target_label="run 7",
        details={"n": 1, "none": None},
    )
    sql, params = values_insert(PendingAuditEvent, [event])
    assert sql.count("NULL") == 5 and len(params) == len(stored_fields(PendingAuditEvent)) - 5
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    stored = PendingAuditEvent.objects.get()
    assert (stored.actor_id, stored.workflow_id, stored.run_id, stored.ip_address) == (None,) * 4
    assert stored.execution_id is None and stored.details == {"n": 1, "none": None}
    assert (stored.action, stored.target_label, stored.occurred_at) == (
        "run.started",
        "run 7",
        datetime(2026, 12, 7, tzinfo=UTC),
    )
