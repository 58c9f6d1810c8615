"""record() writes one chained event in the caller's transaction; record_many and batch too."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit import services
from audit.chain import GENESIS_HASH, content_of, hash_content, verify_chain
from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_record__chains_each_event_to_the_previous(user) -> None:
    first = services.record(action="thing.done", actor=user, details={"n": 1})
    second = services.record(action="thing.done", actor="boss@example.com")

    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert second.actor_kind == "approver" and second.actor_label == "boss@example.com"
    stored = AuditEvent.objects.get(seq=1)
    assert stored.hash == hash_content(content_of(stored)) == first.hash
    assert stored.actor_kind == "user" and stored.actor_label == "alice"


def test_record__rolled_back_transaction_leaves_no_event() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        services.record(action="thing.done")
        raise RuntimeError("change failed")

    assert not AuditEvent.objects.exists()
    assert services.record(action="thing.done").seq == 1
    assert verify_chain().ok


def test_record__redacts_secrets_in_details() -> None:
    event = services.record(
        action="connector.changed",
        details={
            "password": "hunter2",
            "nested": {"api_key": "k", "Authorization": "Bearer abc", "url": "https://x"},
            "header": "Bearer abc.def",
            "list": [{"client_secret": "s"}],
        },
    )

    stored = AuditEvent.objects.get(seq=event.seq).details
    assert stored == {
        "password": "[redacted]",
        "nested": {"api_key": "[redacted]", "Authorization": "[redacted]", "url": "https://x"},
        "header": "[redacted]",
        "list": [{"client_secret": "[redacted]"}],
    }


def test_record_many__one_lock_and_one_insert(django_assert_max_num_queries) -> None:
    services.record(action="before")
    with transaction.atomic(), django_assert_max_num_queries(3):
        events = services.record_many([{"action": f"bulk.{i}"} for i in range(20)])

    assert [e.seq for e in events] == list(range(2, 22))
    assert verify_chain().checked == 21


def test_batch__appends_gathered_events_at_the_end_of_the_block() -> None:
    with transaction.atomic(), services.batch():
        pending = services.record(action="one")
        services.record(action="two")
        assert not AuditEvent.objects.exists()
        assert pending.seq is None

    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "one",
        "two",
    ]
    assert verify_chain().ok


def test_record__adds_to_the_callers_transaction_without_committing(on_postgres) -> None:
    services.record(action="warm-up")  # creates the chain head
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        services.record(action="thing.done", details={"n": 1})

    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert "SAVEPOINT" not in statements
    # lock the head, then insert and move the head (one statement on PostgreSQL)
    assert statements == (["SELECT", "WITH"] if on_postgres else ["SELECT", "INSERT", "UPDATE"])
