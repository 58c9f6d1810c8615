"""The hash chain: one canonical form of an event, its SHA-256, and the walk that verifies it.

Each event's hash covers every content field plus its seq and the previous event's hash, so
changing, removing or reordering any stored event breaks the chain at that event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from audit.models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64

# The hashed fields, in the order exports write them (hash itself comes last, outside).
CONTENT_FIELDS = (
    "seq",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "workflow_id",
    "run_id",
    "execution_id",
    "details",
    "ip_address",
    "user_agent",
    "prev_hash",
)
ROW_FIELDS = (*CONTENT_FIELDS, "hash")


def utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def content_of(event: AuditEvent) -> dict[str, Any]:
    """The event as plain JSON-ready values: what is hashed and what exports write."""
    return content_from_row({name: getattr(event, name) for name in CONTENT_FIELDS})


def content_from_row(row: dict[str, Any]) -> dict[str, Any]:
    content = {name: row[name] for name in CONTENT_FIELDS}
    content["occurred_at"] = utc_iso(row["occurred_at"])
    ip = row["ip_address"]
    content["ip_address"] = str(ip) if ip else None
    return content


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def hash_content(content: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


@dataclass(frozen=True)
class VerifyResult:
    checked: int
    first_seq: int | None
    last_seq: int | None
    problem_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def _rows(queryset: Any) -> Iterator[dict[str, Any]]:
    rows: Iterator[dict[str, Any]] = (
        queryset.order_by("seq").values(*ROW_FIELDS).iterator(chunk_size=2000)
    )
    return rows


def _walk(rows: Iterable[dict[str, Any]], before: dict[str, Any] | None) -> VerifyResult:
    """Check each row against itself and its predecessor; stop at the first problem."""
    checked, first = 0, None
    prev = before
    for row in rows:
        seq = row["seq"]
        first = seq if first is None else first
        expected_seq = prev["seq"] + 1 if prev else 1
        expected_prev = prev["hash"] if prev else GENESIS_HASH
        problem = ""
        if seq > expected_seq:
            seq, problem = expected_seq, f"event #{expected_seq} is missing (next stored is #{seq})"
        elif seq < expected_seq:
            problem = f"event #{seq} is out of order (expected #{expected_seq})"
        elif row["prev_hash"] != expected_prev:
            problem = f"event #{seq} does not follow #{seq - 1}: previous hash differs"
        elif hash_content(content_from_row(row)) != row["hash"]:
            problem = f"event #{seq} was altered: its content does not match its hash"
        elif prev and row["occurred_at"] < prev["occurred_at"]:
            problem = f"event #{seq} is out of order: earlier than #{seq - 1}"
        if problem:
            return VerifyResult(checked, first, prev["seq"] if prev else None, seq, problem)
        checked += 1
        prev = row
    return VerifyResult(checked, first, prev["seq"] if prev else None)


def verify_chain(*, start: datetime | None = None, end: datetime | None = None) -> VerifyResult:
    """Walk the events (all, or those in [start, end)) in seq order and report the first break.

    A window is checked against its neighbours too: the event before it must be the one its
    first event points to, and without an end the chain must reach the head's seq and hash
    (so removing the newest events is seen).
    """
    events = AuditEvent.objects.all()
    if start is not None:
        events = events.filter(occurred_at__gte=start)
    if end is not None:
        events = events.filter(occurred_at__lt=end)
    first_seq = events.order_by("seq").values_list("seq", flat=True).first()
    before = None
    if start is not None and first_seq is not None and first_seq > 1:
        before = (
            AuditEvent.objects.filter(seq__lt=first_seq).order_by("-seq").values(*ROW_FIELDS)
        ).first()
        if before is None or before["seq"] != first_seq - 1:
            missing = before["seq"] + 1 if before else 1
            return VerifyResult(0, first_seq, None, missing, f"event #{missing} is missing")
    result = _walk(_rows(events), before)
    if not result.ok or end is not None:
        return result
    head = AuditChainHead.objects.filter(pk=1).values("seq", "hash").first()
    last = result.last_seq or 0
    if head and head["seq"] > last:
        missing = last + 1
        return VerifyResult(
            result.checked,
            result.first_seq,
            result.last_seq,
            missing,
            f"event #{missing} is missing: the chain head is at #{head['seq']}",
        )
    if head and last and head["seq"] == last:
        last_hash = AuditEvent.objects.filter(seq=last).values_list("hash", flat=True).first()
        if last_hash != head["hash"]:
            return VerifyResult(
                result.checked,
                result.first_seq,
                last,
                last,
                f"event #{last} does not match the chain head's hash",
            )
    return result
