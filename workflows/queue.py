"""Hands execution ids to django-q2. Only ids travel: the database row is the truth, so a lost or
duplicated message can neither lose an execution nor run it twice.

A broker outage: redis-py (6.4) reconnects by itself on the next command once Redis is back (its
pool drops a broken connection), and the ORM broker is the database connection. Still, a send
that fails drops the cached broker so the next call builds a fresh one, and a Redis that hangs
rather than refuses times out after `SEND_TIMEOUT_SECONDS` instead of blocking the caller for ever.
"""

from __future__ import annotations

import logging

import redis
from django_q.brokers import Broker, get_broker
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.tasks import async_task

logger = logging.getLogger(__name__)
TASK = "workflows.tasks.execute"
SEND_TIMEOUT_SECONDS = 5.0
_broker: Broker | None = None


def broker() -> Broker:
    """One broker per process: a new Redis connection per enqueue was 7x slower."""
    global _broker
    if _broker is None:
        _broker = get_broker()
        if isinstance(_broker, Redis) and isinstance(Conf.REDIS, str) and not Conf.DJANGO_REDIS:
            _broker.connection = redis.Redis.from_url(
                Conf.REDIS,
                socket_timeout=SEND_TIMEOUT_SECONDS,
                socket_connect_timeout=SEND_TIMEOUT_SECONDS,
            )
    return _broker


def forget_broker() -> None:
    """Drop the cached broker: the next call connects afresh."""
    global _broker
    _broker = None


def enqueue(execution_id: int) -> None:
    """Send the message or raise (the broker's or the database's error); a failure drops the
    cached broker."""
    try:
        async_task(TASK, execution_id, broker=broker(), task_name=f"execution-{execution_id}")
    except Exception:
        forget_broker()
        raise


def enqueue_or_leave_to_watchdog(execution_id: int) -> None:
    """For `transaction.on_commit` after a run is stored: never raises. If the broker is down the
    execution stays `queued` and the watchdog's `sweep_unclaimed` sends it later."""
    try:
        enqueue(execution_id)
    except Exception as exc:
        logger.warning(
            "could not enqueue execution %s (%s: %s); the watchdog will re-enqueue it",
            execution_id,
            type(exc).__name__,
            str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        )
