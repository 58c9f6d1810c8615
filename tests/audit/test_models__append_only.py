"""Stored events cannot be changed or removed: not by the model, its QuerySet, nor raw SQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit import db_guard
from audit.models import AppendOnlyError, AuditEvent
from audit.services import record

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> AuditEvent:
    return record(action="thing.done")


def test_saving_or_deleting_an_event_is_refused(event) -> None:
    event.action = "thing.forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent(action="unchained").save()


def test_queryset_writes_are_refused(event) -> None:
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(seq=event.seq).update(action="thing.forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.bulk_create([AuditEvent(action="unchained")])
    assert AuditEvent.objects.get(seq=event.seq).action == "thing.done"


def _raw_fails(sql: str, *params: object) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


@pytest.mark.postgres
def test_postgres_refuses_update_and_delete(event) -> None:
    _raw_fails("UPDATE audit_auditevent SET action = 'thing.forged'")
    _raw_fails("DELETE FROM audit_auditevent WHERE seq = %s", event.seq)
    assert AuditEvent.objects.get(seq=event.seq).action == "thing.done"


@pytest.mark.postgres
def test_postgres_refuses_truncate(event) -> None:
    """Test databases are migrated without the truncate guard (Django's test runner truncates
    between tests), so install it here, inside this test's rolled-back transaction."""
    with connection.cursor() as cursor:
        cursor.execute(db_guard.CREATE_TRUNCATE_TRIGGER)
    _raw_fails("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.filter(seq=event.seq).exists()


@pytest.mark.postgres
def test_migrations_install_the_guards_outside_test_databases() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_auditevent'::regclass")
        triggers = {row[0] for row in cursor.fetchall()}
    assert db_guard.ROW_TRIGGER in triggers
    assert db_guard.is_test_database(connection)
    fake = type("C", (), {"settings_dict": {"NAME": "idconfluence", "TEST": {"NAME": None}}})
    assert not db_guard.is_test_database(fake)
