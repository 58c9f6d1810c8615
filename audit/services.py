"""`record(...)`: the one way any app writes an audit event, inside the caller's transaction.

On PostgreSQL with the sequencer on (the default, `AUDIT_SEQUENCER`), an event is one row of
`PendingAuditEvent` inserted in the caller's transaction: no shared row is touched, so no
transaction waits on another's audit write; audit/sequencer.py gives the committed ones their
place in the chain within the merge delay. Otherwise (SQLite, or the sequencer off) appending
takes the chain head under a row lock (PostgreSQL) or the database write lock (SQLite), held
until the caller's transaction ends: record late in a transaction, or gather its events with
`batch()` (or pass them to `record_many`) so they are appended in one go just before the
commit. Nothing here commits on its own unless the caller has no transaction open.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import connection, models, transaction
from django.utils import timezone

from audit import context
from audit.chain import GENESIS_HASH, content_of, hash_content
from audit.models import ActorKind, AuditChainHead, AuditEvent, EventContent, PendingAuditEvent
from audit.redaction import json_ready
from idconfluence.conf import idc_settings
from idconfluence.sql import values_insert

if TYPE_CHECKING:
    from typing import NotRequired, TypedDict

    from typing_extensions import Unpack

    class EventFields(TypedDict):
        """`build`'s keywords, so `record(...)` is type-checked like it."""

        action: str
        actor: NotRequired[Any]
        actor_label: NotRequired[str]
        actor_kind: NotRequired[str]
        target: NotRequired[models.Model | None]
        target_type: NotRequired[str]
        target_id: NotRequired[str]
        target_label: NotRequired[str]
        workflow_id: NotRequired[int | None]
        run_id: NotRequired[int | None]
        execution_id: NotRequired[int | None]
        details: NotRequired[Mapping[str, Any] | None]
        request: NotRequired[Any]


_HEAD = 1


class _Mark:
    """A no-op commit hook registered with each batched event: Django drops the hooks of a
    savepoint (or transaction) that rolls back, so a mark that neither ran nor is still
    waiting in `connection.run_on_commit` belongs to an event whose work was undone."""

    __slots__ = ("ran",)

    def __init__(self) -> None:
        self.ran = False

    def __call__(self) -> None:
        self.ran = True


class _Batch:
    __slots__ = ("events", "marks")

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.marks: dict[int, _Mark] = {}  # id(event) -> its mark, while the batch is open

    def add(self, event: AuditEvent) -> None:
        self.events.append(event)
        if connection.in_atomic_block:
            mark = _Mark()
            self.marks[id(event)] = mark
            connection.on_commit(mark)
        # In autocommit the event's own statements have already committed: it is kept.

    def kept(self) -> list[AuditEvent]:
        """The events whose transaction (and savepoints) committed or are still open, in order;
        our marks are then taken off the commit hooks, which they would only slow down."""
        if not self.marks:
            return self.events
        waiting = {id(entry[1]) for entry in connection.run_on_commit}
        kept = []
        for event in self.events:
            mark = self.marks.get(id(event))
            if mark is None or mark.ran or id(mark) in waiting:
                kept.append(event)
        ours = {id(mark) for mark in self.marks.values()}
        connection.run_on_commit = [
            entry for entry in connection.run_on_commit if id(entry[1]) not in ours
        ]
        self.marks.clear()
        return kept


_batch: ContextVar[_Batch | None] = ContextVar("audit_batch", default=None)


def build(
    *,
    action: str,
    actor: Any = None,
    actor_label: str = "",
    actor_kind: str = "",
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
    workflow_id: int | None = None,
    run_id: int | None = None,
    execution_id: int | None = None,
    details: Mapping[str, Any] | None = None,
    request: Any = None,
) -> AuditEvent:
    """An unsaved, unchained event (seq, time and hashes are given when it is appended).

    `actor` is a user, an approver's email address or None (the system); `request` (or the
    request being served, see audit/context.py) gives the IP address and user agent.
    """
    user = actor if getattr(actor, "is_authenticated", False) else None
    email = actor if isinstance(actor, str) else ""
    kind = actor_kind or (ActorKind.USER if user else ActorKind.APPROVER if email else "")
    meta = context.meta_from_environ(request.META) if request is not None else context.current()
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or str(target.pk)
        target_label = target_label or str(target)
    return AuditEvent(
        action=action[:100],
        actor=user,
        actor_kind=kind or ActorKind.SYSTEM,
        actor_label=(actor_label or (user.get_username() if user else email or "system"))[:255],
        target_type=target_type[:100],
        target_id=str(target_id)[:100],
        target_label=target_label[:255],
        workflow_id=workflow_id,
        run_id=run_id,
        execution_id=execution_id,
        details=json_ready(details or {}),
        ip_address=meta.ip_address if meta else None,
        user_agent=meta.user_agent if meta else "",
    )


def record(**fields: Unpack[EventFields]) -> AuditEvent:
    """Write one event (keyword arguments as `build`) in the caller's transaction.

    Inside `batch()` the event is only gathered, and gets its seq when the batch ends.
    """
    event = build(**fields)
    pending = _batch.get()
    if pending is not None:
        pending.add(event)
        return event
    return _append([event])[0]


def record_many(entries: Sequence[EventFields]) -> list[AuditEvent]:
    """Write several events (each a mapping of `record`'s keywords) with one lock and one insert."""
    return _append([build(**entry) for entry in entries])


@contextmanager
def batch() -> Iterator[list[AuditEvent]]:
    """Gather the `record` calls made inside and append them together when the block ends.

    Use it inside the transaction, innermost: `with transaction.atomic(), audit.batch(): ...`.
    The head lock is then held only from the end of the block to the commit. Nested batches
    join the outer one; events of a block that raises are dropped with its transaction, and so
    are events recorded in a savepoint (an inner `transaction.atomic()`) that rolled back.
    """
    current = _batch.get()
    if current is not None:
        yield current.events
        return
    pending = _Batch()
    token = _batch.set(pending)
    try:
        yield pending.events
    finally:
        _batch.reset(token)
    pending.events[:] = pending.kept()
    if pending.events:
        _append(pending.events)


def lock_head() -> AuditChainHead:
    if connection.vendor == "postgresql":  # raw: the ORM's query building doubled the cost
        table = connection.ops.quote_name(AuditChainHead._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT seq, hash, occurred_at FROM {table} WHERE id = %s FOR UPDATE",  # noqa: S608
                [_HEAD],
            )
            row = cursor.fetchone()
        if row is not None:
            return AuditChainHead(pk=_HEAD, seq=row[0], hash=row[1], occurred_at=row[2])
    else:
        head = AuditChainHead.objects.select_for_update().filter(pk=_HEAD).first()
        if head is not None:
            return head
    # First event ever (or the head row was lost): start from the newest stored event.
    last = AuditEvent.objects.order_by("-seq").values("seq", "hash", "occurred_at").first()
    initial = last or {"seq": 0, "hash": GENESIS_HASH, "occurred_at": None}
    AuditChainHead.objects.get_or_create(pk=_HEAD, defaults=initial)
    return AuditChainHead.objects.select_for_update().get(pk=_HEAD)


def sequenced() -> bool:
    """Events go through the sequencer (PostgreSQL only: SQLite has one writer anyway)."""
    return connection.vendor == "postgresql" and bool(idc_settings.AUDIT_SEQUENCER)


def append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Store built events (see `build`) in the current transaction, as `record` does."""
    return _append(events)


def _append(events: list[AuditEvent]) -> list[AuditEvent]:
    """Store `events` in the current transaction: pending for the sequencer, or chained now."""
    now = timezone.now()
    for event in events:
        event.occurred_at = now
    if sequenced():
        _insert(PendingAuditEvent, events)
        return events
    with transaction.atomic(savepoint=False):
        head = lock_head()
        chain(events, head)
        store_chained(events, head)
    return events


def chain(events: list[AuditEvent], head: AuditChainHead) -> None:
    """Give `events` (in order) their seq and hashes after `head`, and move `head` past them.

    Time never goes backwards along the chain, so a date window is a run of seqs: an event
    recorded before the head's newest keeps its place but takes the head's time.
    """
    for event in events:
        if head.occurred_at is not None and event.occurred_at < head.occurred_at:
            event.occurred_at = head.occurred_at
        event.seq, event.prev_hash = head.seq + 1, head.hash
        event.hash = hash_content(content_of(event))
        head.seq, head.hash, head.occurred_at = event.seq, event.hash, event.occurred_at


def store_chained(events: list[AuditEvent], head: AuditChainHead) -> None:
    """Insert chained events and move the head: on PostgreSQL in one statement (a round trip
    saved on every audited transaction), elsewhere through the ORM."""
    if connection.vendor != "postgresql":
        AuditEvent.objects.all()._append_chained(events)
        head.save(update_fields=["seq", "hash", "occurred_at"])
        return
    quote = connection.ops.quote_name
    move = f"UPDATE {quote(AuditChainHead._meta.db_table)} SET seq = %s, hash = %s, occurred_at = %s WHERE id = %s"  # noqa: S608,E501
    _insert(
        AuditEvent,
        events,
        f"WITH head AS ({move}) ",
        [head.seq, head.hash, head.occurred_at, head.pk],
    )


def _insert(
    model: type[EventContent],
    events: list[AuditEvent],
    prefix: str = "",
    params: list[Any] | None = None,
) -> None:
    """One multi-row INSERT of `events` into `model`'s table (raw: the ORM's bulk_create
    costs more than the statement)."""
    sql, values = values_insert(model, _as(model, events))
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, [*(params or []), *values])


def pending_insert(events: list[AuditEvent], *, only_if: str) -> tuple[str, list[Any]]:
    """For a caller's own statement (PostgreSQL, sequencer on): the INSERT of `events` as
    pending rows, made only if the CTE `only_if` returned a row; the events are stamped now."""
    now = timezone.now()
    for event in events:
        event.occurred_at = now
    return values_insert(PendingAuditEvent, _as(PendingAuditEvent, events), only_if=only_if)


def _as(model: type[EventContent], events: list[AuditEvent]) -> list[EventContent]:
    """Events as rows of `model`: both share EventContent's fields, which is all that is read."""
    return events  # type: ignore[return-value]
