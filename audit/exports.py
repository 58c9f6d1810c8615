"""Evidence exports: the filtered events (or a workflow's history) as CSV or JSON Lines, streamed
in constant memory, each with a manifest to check the export against the chain later.

Event rows carry every hashed field plus the hash, in the chain's canonical values, so anyone
can recompute each row's SHA-256 (audit/chain.py) and compare the manifest's first and last
seq and hash with the live chain (`audit_verify`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from audit.chain import CONTENT_FIELDS, ROW_FIELDS, content_from_row, utc_iso
from audit.filters import EventFilter
from audit.models import AuditEvent
from audit.selectors import workflow_history

FORMATS = ("csv", "jsonl")
CHUNK_ROWS = 2000
# History CSV columns: (column, key) pairs read from a run, its trigger, execution and step.
_RUN = (("run", "run"), ("workflow_id", "workflow_id"), ("version", "version"))
_TRIGGER = (("trigger_kind", "kind"), ("trigger_ref", "ref"), ("started_by", "started_by"))
_OUTCOME = (("dry_run", "dry_run"), ("outcome", "outcome"), ("run_created_at", "created_at"),
            ("run_finished_at", "finished_at"))  # fmt: skip
_EXECUTION = (("execution", "number"), ("execution_state", "state"),
              ("failed_block", "failed_block"), ("failure_reason", "failure_reason"))  # fmt: skip
_STEP = (("step", "seq"), ("block", "block"), ("block_kind", "kind"), ("block_type", "type"),
         ("step_state", "state"), ("step_outcome", "outcome"), ("step_started_at", "started_at"),
         ("step_finished_at", "finished_at"), ("duration_ms", "duration_ms"),
         ("error", "error"))  # fmt: skip
HISTORY_COLUMNS = tuple(c for c, _ in (*_RUN, *_TRIGGER, *_OUTCOME, *_EXECUTION, *_STEP))


def _snapshot() -> AbstractContextManager[Any]:
    # On PostgreSQL a transaction lets .iterator() stream from a server-side cursor instead of
    # materialising the result first; on SQLite it would take the write lock, and is not needed.
    return transaction.atomic() if connection.vendor == "postgresql" else nullcontext()


def event_rows(events: QuerySet[AuditEvent], manifest: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The events in chain order as export rows, noting count, first and last in `manifest`."""
    manifest.update(count=0, first=None, last=None)
    with _snapshot():
        for row in events.order_by("seq").values(*ROW_FIELDS).iterator(chunk_size=CHUNK_ROWS):
            out = content_from_row(row)
            out["hash"] = row["hash"]
            ends = {"seq": out["seq"], "prev_hash": out["prev_hash"], "hash": out["hash"]}
            manifest["first"] = manifest["first"] or ends
            manifest["last"] = ends
            manifest["count"] += 1
            yield out


def _pick(source: dict[str, Any] | None, pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return {column: source[key] for column, key in pairs} if source else {}


def history_csv_rows(runs: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One row per step (a run without steps still gets one), run columns repeated."""
    for run in runs:
        base = {**_pick(run, _RUN), **_pick(run["trigger"], _TRIGGER), **_pick(run, _OUTCOME)}
        wrote = False
        for execution in run["executions"]:
            for step in execution["steps"] or [None]:
                wrote = True
                yield {**base, **_pick(execution, _EXECUTION), **_pick(step, _STEP)}
        if not wrote:
            yield base


def _cell(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


class _Line:
    def write(self, value: str) -> str:
        return value


def encode(rows: Iterable[dict[str, Any]], fmt: str, columns: tuple[str, ...]) -> Iterator[bytes]:
    """Rows as CSV (nested values as JSON text) or JSON Lines, a chunk of rows at a time."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}")
    writer = csv.writer(_Line())
    lines: list[str] = [writer.writerow(columns)] if fmt == "csv" else []
    for row in rows:
        if fmt == "csv":
            cells = [row.get(c) for c in columns]
            lines.append(writer.writerow([_cell(c) for c in cells]))
        else:
            lines.append(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
        if len(lines) >= CHUNK_ROWS:
            yield "".join(lines).encode()
            lines = []
    if lines:
        yield "".join(lines).encode()


def digesting(chunks: Iterable[bytes], manifest: dict[str, Any]) -> Iterator[bytes]:
    """Pass chunks through, putting their SHA-256 and size in `manifest` at the end."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        yield chunk
    manifest.update(data_sha256=digest.hexdigest(), data_bytes=size)


def new_manifest(kind: str, fmt: str, data_file: str, filters: dict[str, Any]) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "kind": kind,
        "format": fmt,
        "data_file": data_file,
        "filters": filters,
        "generated_at": utc_iso(timezone.now()),
    }
    if kind == "audit-events":
        manifest["hash"] = {
            "algorithm": "sha256",
            "over": "canonical JSON (sorted keys, no spaces, UTF-8) of the content fields",
            "content_fields": list(CONTENT_FIELDS),
        }
    return manifest


def events_export(
    events: QuerySet[AuditEvent], fmt: str, filters: dict[str, Any], data_file: str
) -> tuple[Iterator[bytes], dict[str, Any]]:
    """The encoded data (an iterator) and its manifest, complete once the data is consumed."""
    manifest = new_manifest("audit-events", fmt, data_file, filters)
    data = encode(event_rows(events, manifest), fmt, ROW_FIELDS)
    return digesting(data, manifest), manifest


def history_export(
    runs: Iterable[dict[str, Any]], fmt: str, filters: dict[str, Any], data_file: str
) -> tuple[Iterator[bytes], dict[str, Any]]:
    manifest = new_manifest("workflow-history", fmt, data_file, filters)

    def counted() -> Iterator[dict[str, Any]]:
        manifest["runs"] = 0
        with _snapshot():
            for run in runs:
                manifest["runs"] += 1
                yield run

    rows: Iterable[dict[str, Any]] = counted()
    if fmt == "csv":
        rows = history_csv_rows(rows)
    return digesting(encode(rows, fmt, HISTORY_COLUMNS), manifest), manifest


def workflow_history_export(
    workflow: Any, window: EventFilter, fmt: str, data_file: str
) -> tuple[Iterator[bytes], dict[str, Any]]:
    """A workflow's runs started in the window, with their manifest (see history_export)."""
    described = {**window.describe(), "workflow": {"id": workflow.pk, "slug": workflow.slug}}
    runs = workflow_history(workflow_id=workflow.pk, start=window.start, end=window.end)
    return history_export(runs, fmt, described, data_file)


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()


class _Sink:
    """A write-only stream zipfile writes to; the generator hands its bytes on as they come."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def zipped(data_file: str, data: Iterable[bytes], manifest: Callable[[], bytes]) -> Iterator[bytes]:
    """A ZIP of the data file and, written after it, its manifest; streamed as it is built."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:  # type: ignore[call-overload]
        with archive.open(data_file, "w", force_zip64=True) as entry:
            for chunk in data:
                entry.write(chunk)
                yield sink.take()
        archive.writestr("manifest.json", manifest())
    yield sink.take()
