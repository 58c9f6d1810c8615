"""The sequencer: gives committed pending events their place in the hash chain, in batches.

As a transparency log's sequencer does (Trillian, Certificate Transparency): writers queue their
events without coordinating, and one sequencer at a time (a transaction-level advisory lock; a
second caller returns at once) integrates them, every `AUDIT_SEAL_INTERVAL_SECONDS` from the
watchdog, so an event is sealed within a maximum merge delay.

The order rule: a batch seals, in id order, the pending rows its snapshot sees, which are the
committed ones. A transaction that took a lower id but commits later is sealed by a later batch,
after events that committed before it: the chain is in the order events became visible. Nothing is
skipped (a row stays pending until a sequencer sees it) and nothing is sealed twice (the row is
deleted in the transaction that seals it; a sequencer killed mid-batch rolls back whole). An
event keeps its recorded time unless an event already sealed is later; then it takes that time,
so time never goes back along the chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone

from audit import db_guard
from audit.models import AuditEvent, PendingAuditEvent
from audit.services import chain, lock_head, store_chained

LOCK_KEY = 0x1DC0_A0D1_7000_0001  # pg advisory lock: "the audit sequencer"
_CONTENT = [f.attname for f in PendingAuditEvent._meta.concrete_fields if f.attname != "id"]


@dataclass(frozen=True)
class Backlog:
    """Events stored but not sealed yet: how many, and since when."""

    count: int
    oldest: datetime | None

    def age_seconds(self, now: datetime | None = None) -> float:
        if self.oldest is None:
            return 0.0
        return max(0.0, ((now or timezone.now()) - self.oldest).total_seconds())


def audit_backlog() -> Backlog:
    found = PendingAuditEvent.objects.aggregate(oldest=Min("occurred_at"))
    count = PendingAuditEvent.objects.count() if found["oldest"] is not None else 0
    return Backlog(count=count, oldest=found["oldest"])


def audit_seal_pending(*, limit: int = 5000) -> int:
    """Seal up to `limit` committed pending events; 0 if another sequencer holds the lock."""
    if connection.vendor != "postgresql":
        return 0  # SQLite chains every event in its own transaction
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
            if not cursor.fetchone()[0]:
                return 0
        pending = list(PendingAuditEvent.objects.order_by("id").values("id", *_CONTENT)[:limit])
        if not pending:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL {db_guard.SEQUENCER_FLAG} = 'on'")
            table = connection.ops.quote_name(PendingAuditEvent._meta.db_table)
            cursor.execute(
                f"DELETE FROM {table} WHERE id = ANY(%s)",  # noqa: S608 - the model's table
                [[row.pop("id") for row in pending]],
            )
        events = [AuditEvent(**row) for row in pending]
        head = lock_head()  # uncontended: only sequencers move the head
        chain(events, head)
        store_chained(events, head)
    return len(events)


def audit_seal_all(*, limit: int = 5000) -> int:
    """Seal until nothing committed is pending (tests, `audit_seal`, before a verification)."""
    total = 0
    while sealed := audit_seal_pending(limit=limit):
        total += sealed
    return total
