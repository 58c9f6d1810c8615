"""audit_verify: an untouched chain verifies; an altered, removed or swapped event is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit import db_guard
from audit.chain import verify_chain
from audit.services import record

pytestmark = pytest.mark.django_db


def tamper(*statements: str, params: tuple[object, ...] = ()) -> None:
    """Raw SQL behind the model's back; on PostgreSQL with the guard trigger switched off
    (inside the test's transaction, so it is back on afterwards)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {db_guard.TABLE} DISABLE TRIGGER {db_guard.ROW_TRIGGER}")
        for sql in statements:
            cursor.execute(sql, params)


@pytest.fixture
def five_events(user) -> None:
    for n in range(5):
        record(action=f"thing.{n}", actor=user, details={"n": n})


def verify_fails_at(seq: int) -> str:
    with pytest.raises(CommandError) as failure:
        call_command("audit_verify", stdout=StringIO())
    assert failure.value.returncode == 2
    message = str(failure.value)
    assert f"broken at event #{seq}:" in message
    return message


def test_untouched_chain_verifies(five_events) -> None:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().strip() == "OK: 5 events verified (#1..#5); 0 not sealed yet"


def test_empty_chain_verifies(db) -> None:
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert out.getvalue().strip() == "OK: 0 events verified; 0 not sealed yet"


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE audit_auditevent SET action = 'thing.forged' WHERE seq = 3",
        "UPDATE audit_auditevent SET details = '{\"n\": 99}' WHERE seq = 3",
        "UPDATE audit_auditevent SET actor_label = 'mallory' WHERE seq = 3",
        "UPDATE audit_auditevent SET occurred_at = '2020-01-01 00:00:00' WHERE seq = 3",
    ],
)
def test_one_changed_field_is_reported_at_that_event(five_events, change) -> None:
    tamper(change)

    message = verify_fails_at(3)
    assert "altered" in message or "out of order" in message


def test_a_deleted_event_is_reported_as_missing(five_events) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq = 3")

    assert "event #3 is missing" in verify_fails_at(3)


def test_deleting_the_newest_event_is_reported_against_the_head(five_events) -> None:
    tamper("DELETE FROM audit_auditevent WHERE seq = 5")

    assert "chain head is at #5" in verify_fails_at(5)


def test_two_swapped_events_are_reported_at_the_first(five_events) -> None:
    tamper(
        "UPDATE audit_auditevent SET seq = -1 WHERE seq = 3",
        "UPDATE audit_auditevent SET seq = 3 WHERE seq = 4",
        "UPDATE audit_auditevent SET seq = 4 WHERE seq = -1",
    )

    assert "does not follow #2" in verify_fails_at(3)


def test_recomputed_hash_is_caught_by_the_next_event(five_events) -> None:
    """Rewriting an event and its own hash still breaks the link from its successor."""
    from audit.chain import content_of, hash_content
    from audit.models import AuditEvent

    event = AuditEvent.objects.get(seq=3)
    event.action = "thing.forged"
    forged = hash_content(content_of(event))
    tamper(
        "UPDATE audit_auditevent SET action = 'thing.forged', hash = %s WHERE seq = 3",
        params=(forged,),
    )

    assert "event #4 does not follow #3" in verify_fails_at(4)


def test_a_window_is_checked_against_the_event_before_it(event_at) -> None:
    day = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for n in range(4):
        event_at(day + timedelta(days=n))
    tamper("DELETE FROM audit_auditevent WHERE seq = 2")

    window = verify_chain(start=day + timedelta(days=2), end=day + timedelta(days=4))
    assert (window.ok, window.problem_seq) == (False, 2)
    clean = verify_chain(start=day + timedelta(days=-1), end=day + timedelta(hours=1))
    assert clean.ok and clean.checked == 1
    out = StringIO()
    call_command("audit_verify", "--from", "2026-02-28", "--to", "2026-03-01", stdout=out)
    assert out.getvalue().startswith("OK: 1 events verified")
