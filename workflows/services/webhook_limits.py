"""What keeps `/hooks/<token>/` from being a free write to the database: each delivery costs one
upserted counter row, whatever its outcome before authentication.

- A token that names no active endpoint is counted per source (IPv4 address or IPv6 /64) in
  `UnknownHookSource`, one row per source, instead of a delivery row and an audit event each.
- A known endpoint's deliveries are counted per minute in `WebhookRate`, one row per endpoint;
  past `IDCONFLUENCE["WEBHOOK_RATE_PER_MINUTE"]` the answer is 429 with Retry-After and nothing
  else is stored (the minute's first excess delivery leaves one audit event).

Both are single INSERT ... ON CONFLICT DO UPDATE statements (PostgreSQL and SQLite 3.35+), in
raw SQL built once per process: this is the acknowledgement path. On PostgreSQL the endpoint's
count is a CTE of the endpoint's own lookup (`lookup_count_sql`, no round trip of its own), in
an unlogged table (its commit waits for no disk flush; a crash restarts the counts). With Redis
as the broker (production), the per-minute count is an INCR there instead: no commit and no row
lock shared by every delivery to one endpoint; if Redis does not answer, the database counts.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from django.conf import settings
from django.db import connection

from workflows.models_triggers import UnknownHookSource, WebhookRate

WINDOW_SECONDS = 60
UNKNOWN_SOURCE = "unknown"  # a request without a usable REMOTE_ADDR


def rate_limit() -> int:
    return cast(int, settings.IDCONFLUENCE.get("WEBHOOK_RATE_PER_MINUTE", 600))


@dataclass(frozen=True)
class OverLimit:
    retry_after: int  # seconds until the minute ends
    first: bool  # the minute's first delivery past the limit


def count_delivery(endpoint_id: int, now: float | None = None) -> OverLimit | None:
    """Count one delivery to the endpoint; None when it is within the limit. Without a limit,
    nothing is counted."""
    if rate_limit() <= 0:
        return None
    now = time.time() if now is None else now
    minute = minute_of(now)
    hits = _count_in_redis(endpoint_id, minute)
    if hits is None:
        with connection.cursor() as cursor:
            cursor.execute(_rate_sql(), [endpoint_id, minute])
            (hits,) = cursor.fetchone()
    return verdict(hits, now)


def counted_by_lookup() -> bool:
    """Whether the endpoint's lookup counts the delivery in the same statement (PostgreSQL, a
    limit set, no Redis to count in): one round trip fewer."""
    return connection.vendor == "postgresql" and rate_limit() > 0 and not _redis_counts()


def verdict(hits: int, now: float) -> OverLimit | None:
    """None while `hits`, this minute's deliveries so far, are within the limit."""
    limit = rate_limit()
    if hits <= limit:
        return None
    retry_after = max(1, math.ceil((minute_of(now) + 1) * WINDOW_SECONDS - now))
    return OverLimit(retry_after, first=hits == limit + 1)


def minute_of(now: float) -> int:
    return int(now // WINDOW_SECONDS)


def lookup_count_sql(found: str, endpoint_column: str) -> str:
    """The count as a CTE's INSERT of the lookup's statement: one upsert for the endpoint that
    the CTE `found` returned (none for an unknown address), its minute the one parameter."""
    return _rate_sql(f"SELECT {endpoint_column}, %s, 1 FROM {found}")  # noqa: S608 - names


def _count_in_redis(endpoint_id: int, minute: int) -> int | None:
    """This minute's deliveries to the endpoint so far, counted in the broker's Redis; None
    without Redis, or when it does not answer (the broker connection is then dropped)."""
    if not _redis_counts():
        return None
    from workflows import queue  # the one shared broker connection

    try:
        client = queue.broker().connection
        key = f"idc:webhook-rate:{endpoint_id}:{minute}"
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, 2 * WINDOW_SECONDS)
        hits, _ = pipe.execute()
    except Exception:
        queue.forget_broker()
        return None
    return int(hits)


def count_unknown(remote_addr: str | None, now: datetime | None = None) -> None:
    """Count one refusal of an address that names no active endpoint against its source."""
    now = now or datetime.now(UTC)
    with connection.cursor() as cursor:
        when = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(_unknown_sql(), [source_of(remote_addr), when, when])


def source_of(remote_addr: str | None) -> str:
    """The address, or its /64 for IPv6 (one host usually holds a whole /64)."""
    if not remote_addr:
        return UNKNOWN_SOURCE
    try:
        address = ipaddress.ip_address(remote_addr)
    except ValueError:
        return UNKNOWN_SOURCE
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def _redis_counts() -> bool:
    return bool(settings.Q_CLUSTER.get("redis"))


@functools.cache
def _rate_sql(rows: str = "VALUES (%s, %s, 1)") -> str:
    quote = connection.ops.quote_name
    table = quote(WebhookRate._meta.db_table)
    endpoint = quote(WebhookRate._meta.get_field("endpoint").column)
    minute, hits = quote("minute"), quote("hits")
    return (
        f"INSERT INTO {table} ({endpoint}, {minute}, {hits}) {rows} "
        f"ON CONFLICT ({endpoint}) DO UPDATE SET "
        f"{hits} = CASE WHEN {table}.{minute} = excluded.{minute} "
        f"THEN {table}.{hits} + 1 ELSE 1 END, "
        f"{minute} = excluded.{minute} RETURNING {hits}"
    )


@functools.cache
def _unknown_sql() -> str:
    quote = connection.ops.quote_name
    table = quote(UnknownHookSource._meta.db_table)
    source, refusals = quote("source"), quote("refusals")
    first_at, last_at = quote("first_at"), quote("last_at")
    return (
        f"INSERT INTO {table} ({source}, {refusals}, {first_at}, {last_at}) "  # noqa: S608
        f"VALUES (%s, 1, %s, %s) ON CONFLICT ({source}) DO UPDATE SET "
        f"{refusals} = {table}.{refusals} + 1, {last_at} = excluded.{last_at}"
    )
