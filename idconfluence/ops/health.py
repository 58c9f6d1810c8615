"""What `/readyz` checks: each check is a function returning a `Check`, listed in `CHECKS`.

A check is `ok`, `degraded` (working, but behind: still ready, nothing that could be stored is
refused) or `failing` (not ready: `/readyz` answers 503). Messages name what is wrong and never
carry a secret (database and broker errors pass through `redact_text`). A check that raises is
failing with its error's first line, so one broken dependency cannot hide the others.

Another app adds a check with one line in `CHECKS`; a backlog (a count and the time of its
oldest item, like the audit events not yet sealed) reads best through `backlog_check`, e.g.
`"audit": lambda: backlog_check("unsealed audit events", *unsealed(), limit_seconds=60)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.utils import timezone

from audit.sequencer import audit_backlog
from idconfluence.conf import idc_settings
from idconfluence.ops.heartbeats import CLUSTER, WATCHDOG, heartbeat_last
from idconfluence.redaction import redact_text
from workflows.models import Execution
from workflows.status import ExecutionState

Status = Literal["ok", "degraded", "failing"]
BROKER_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Check:
    status: Status
    message: str


def database() -> Check:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return Check("ok", f"{connection.vendor} answers")


def broker() -> Check:
    url = settings.Q_CLUSTER.get("redis")
    if not url:  # the ORM broker: its queue is a table of the database
        from django_q.models import OrmQ

        OrmQ.objects.exists()
        return Check("ok", "ORM broker (the database) answers")
    client = redis.Redis.from_url(
        str(url),
        socket_timeout=BROKER_TIMEOUT_SECONDS,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()
    return Check("ok", "Redis broker answers")


def _heartbeat(name: str, what: str, max_age: int) -> Check:
    beat = heartbeat_last(name)
    if beat is None:
        return Check("failing", f"no {what} heartbeat yet: is one running?")
    age = (timezone.now() - beat.beat_at).total_seconds()
    where = f"{beat.host} pid {beat.pid}"
    if age > max_age:
        return Check(
            "failing", f"last {what} heartbeat {age:.0f} s ago ({where}), over {max_age} s"
        )
    return Check("ok", f"last {what} heartbeat {age:.0f} s ago ({where})")


def cluster() -> Check:
    """A django-q2 schedule beats every minute: the scheduler, the broker and a worker work."""
    return _heartbeat(CLUSTER, "cluster", idc_settings.CLUSTER_HEARTBEAT_MAX_AGE_SECONDS)


def watchdog() -> Check:
    """The watchdog beats after every sweep round that completed without an error."""
    return _heartbeat(WATCHDOG, "watchdog sweep", idc_settings.WATCHDOG_HEARTBEAT_MAX_AGE_SECONDS)


def backlog_check(what: str, count: int, oldest: datetime | None, limit_seconds: int) -> Check:
    """Degraded (not failing: the work is stored and will be done) when the oldest item waits
    longer than `limit_seconds`."""
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    text = f"{count} {what}, oldest {age:.0f} s" if count else f"no {what}"
    if age > limit_seconds:
        return Check("degraded", f"{text}, over the {limit_seconds} s limit")
    return Check("ok", text)


def oldest_queued() -> tuple[int, datetime | None]:
    """How many executions wait for a worker, and when the oldest was queued."""
    found = Execution.objects.filter(state=ExecutionState.QUEUED).aggregate(
        count=Count("pk"), oldest=Min("queued_at")
    )
    return found["count"], found["oldest"]


def queue() -> Check:
    """Load shedding: a queue older than the limit reports degraded, webhooks still answer 202."""
    count, oldest = oldest_queued()
    return backlog_check("queued executions", count, oldest, idc_settings.QUEUE_AGE_LIMIT_SECONDS)


def audit() -> Check:
    """Events stored but not sealed: degraded past the alert limit (the sequencer is behind or
    not running; nothing is lost, the chain just does not cover them yet)."""
    backlog = audit_backlog()
    return backlog_check(
        "unsealed audit events",
        backlog.count,
        backlog.oldest,
        idc_settings.AUDIT_SEAL_ALERT_SECONDS,
    )


CHECKS: dict[str, Callable[[], Check]] = {
    "database": database,
    "broker": broker,
    "cluster": cluster,
    "watchdog": watchdog,
    "queue": queue,
    "audit": audit,
}


def _needs_database(name: str) -> bool:
    """Checks that read the database (the ORM broker's queue too): not tried once it failed,
    so a probe gets its answer in one connect timeout, not one per check."""
    return name in {"cluster", "watchdog", "queue", "audit"} or (
        name == "broker" and not settings.Q_CLUSTER.get("redis")
    )


def run_checks(names: list[str] | None = None) -> dict[str, Check]:
    results: dict[str, Check] = {}
    for name, check in CHECKS.items():
        if names and name not in names:
            continue
        down = results.get("database")
        if down is not None and down.status == "failing" and _needs_database(name):
            results[name] = Check("failing", "not checked: the database is unavailable")
            continue
        try:
            results[name] = check()
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
            results[name] = Check("failing", redact_text(f"{type(exc).__name__}: {first}"))
    return results


def overall(results: dict[str, Check]) -> Status:
    statuses = {check.status for check in results.values()}
    return "failing" if "failing" in statuses else "degraded" if "degraded" in statuses else "ok"
