"""audit.batch(): an event recorded in a savepoint that rolled back is dropped with it; events of
released savepoints are kept, in the order they were recorded. Runs on PostgreSQL and SQLite."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from audit import services
from audit.chain import verify_chain
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


class Undone(Exception):
    pass


def stored() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def rolled_back(action: str) -> None:
    """`with transaction.atomic(): record(...); raise`, the exception caught outside it."""
    try:
        with transaction.atomic():
            services.record(action=action)
            raise Undone
    except Undone:
        pass


def test_an_event_of_a_rolled_back_savepoint_is_dropped_and_the_chain_verifies() -> None:
    with transaction.atomic(), services.batch() as events:
        rolled_back("run.started")

    assert stored() == []
    assert events == []
    assert verify_chain().ok
    assert services.record(action="next").seq == 1


def test_a_released_savepoint_keeps_its_event() -> None:
    with transaction.atomic(), services.batch():
        services.record(action="run.requested")
        with transaction.atomic():
            services.record(action="run.started")

    assert stored() == ["run.requested", "run.started"]
    assert verify_chain().ok


def test_kept_events_keep_their_order() -> None:
    with transaction.atomic(), services.batch() as events:
        services.record(action="one")
        rolled_back("undone.1")
        with transaction.atomic():
            services.record(action="two")
            rolled_back("undone.2")  # a savepoint inside a released one
            services.record(action="three")
        services.record(action="four")
        rolled_back("undone.3")

    assert stored() == ["one", "two", "three", "four"]
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert verify_chain().checked == 4


def test_a_released_savepoint_inside_a_rolled_back_one_is_dropped_with_it() -> None:
    with transaction.atomic(), services.batch():
        services.record(action="kept")
        try:
            with transaction.atomic():
                with transaction.atomic():
                    services.record(action="inner")
                services.record(action="outer")
                raise Undone
        except Undone:
            pass

    assert stored() == ["kept"]
    assert verify_chain().ok


def test_a_nested_batch_in_a_rolled_back_savepoint_is_dropped() -> None:
    with transaction.atomic(), services.batch():
        services.record(action="before")
        try:
            with transaction.atomic(), services.batch():
                services.record(action="nested")
                raise Undone
        except Undone:
            pass
        with transaction.atomic(), services.batch():
            services.record(action="nested.kept")

    assert stored() == ["before", "nested.kept"]
    assert verify_chain().ok


def test_a_rolled_back_savepoint_around_the_flush_leaves_nothing() -> None:
    services.record(action="before")
    with transaction.atomic():
        try:
            with transaction.atomic():
                with services.batch():
                    services.record(action="flushed.then.undone")
                assert stored() == ["before", "flushed.then.undone"]
                raise Undone
        except Undone:
            pass

    assert stored() == ["before"]
    assert verify_chain().ok
    assert services.record(action="after").seq == 2
    assert verify_chain().checked == 2


def test_the_marks_leave_the_callers_commit_hooks_alone() -> None:
    with transaction.atomic():
        ours = len(connection.run_on_commit)
        with services.batch():
            services.record(action="one")
            transaction.on_commit(lambda: None)
            rolled_back("undone")
        hooks = connection.run_on_commit[ours:]

    assert len(hooks) == 1  # the caller's own hook; the batch took its marks away
    assert stored() == ["one"]


def test_record_outside_a_batch_is_unchanged() -> None:
    with transaction.atomic():
        event = services.record(action="now")
        assert event.seq == 1
        assert not connection.run_on_commit or all(
            not isinstance(entry[1], services._Mark) for entry in connection.run_on_commit
        )

    assert stored() == ["now"]


@pytest.mark.django_db(transaction=True)
def test_a_batch_in_autocommit_keeps_what_committed_and_drops_what_rolled_back() -> None:
    assert connection.get_autocommit() and not connection.in_atomic_block
    with services.batch() as events:
        services.record(action="autocommit")  # no transaction open: kept
        with transaction.atomic():
            services.record(action="committed")  # its transaction committed: kept
        rolled_back("rolled.back")  # its transaction rolled back: dropped
        assert stored() == []  # still only gathered

    assert stored() == ["autocommit", "committed"]
    assert [e.action for e in events] == ["autocommit", "committed"]
    assert verify_chain().ok
