"""Hands execution ids to django-q2. Only ids travel: the database row is the truth, so a lost or
duplicated message can neither lose an execution nor run it twice.

A broker outage: redis-py (6.4) reconnects by itself on the next command once Redis is back (its
pool drops a broken connection), and the ORM broker is the database connection. Still, a send
that fails drops the cached broker so the next call builds a fresh one, and a Redis that hangs
rather than refuses times out after `SEND_TIMEOUT_SECONDS` instead of blocking the caller for ever.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Sequence

import redis
from django.db import close_old_connections, connection
from django.utils import timezone
from django_q.brokers import Broker, get_broker
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf
from django_q.tasks import async_task

from idconfluence.conf import idc_settings

logger = logging.getLogger(__name__)
TASK = "workflows.tasks.execute"
BATCH_TASK = "workflows.tasks.execute_many"
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


def enqueue_many(execution_ids: Sequence[int]) -> None:
    """One message for several executions (a worker performs them one after another, each in its
    own window), so django-q2's per-task cost is shared; raises as `enqueue`."""
    if len(execution_ids) == 1:
        enqueue(execution_ids[0])
        return
    try:
        name = f"executions-{execution_ids[0]}-{execution_ids[-1]}"
        async_task(BATCH_TASK, list(execution_ids), broker=broker(), task_name=name)
    except Exception:
        forget_broker()
        raise


def enqueue_or_leave_to_watchdog(execution_id: int) -> None:
    """For `transaction.on_commit` after a run is stored: never raises. The id joins the next
    message (see `_Coalescer`); if the broker is down the execution stays `queued` and the
    watchdog's `sweep_unclaimed` sends it later."""
    if idc_settings.ENQUEUE_DELAY_MS <= 0 or connection.vendor == "sqlite":
        # SQLite (the embedded default) takes one writer at a time: a second thread writing the
        # ORM broker's rows would only contend with this one ("database table is locked").
        enqueue_many_or_leave_to_watchdog([execution_id])
    else:
        _coalescer.add(execution_id)


def enqueue_many_or_leave_to_watchdog(execution_ids: Sequence[int]) -> None:
    try:
        enqueue_many(execution_ids)
    except Exception as exc:
        logger.warning(
            "could not enqueue %d execution(s) from %s (%s: %s); the watchdog will re-enqueue",
            len(execution_ids),
            execution_ids[0],
            type(exc).__name__,
            str(exc).strip().splitlines()[0] if str(exc).strip() else "",
        )


class _Coalescer:
    """Gathers the ids committed in this process for `ENQUEUE_DELAY_MS` and sends them as
    messages of up to `ENQUEUE_BATCH_SIZE`, from one thread, off the request path; and sends at
    most once per `ENQUEUE_INTERVAL_MS`, so that under load (the only time it matters) each
    message carries more executions and django-q2's cost per message is shared, while an idle
    process still sends its first id at once. An id lost with the process (killed before the
    flush) is still `queued` in the database: the watchdog re-sends it after
    REQUEUE_AFTER_SECONDS, as after a broker outage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sending = threading.Lock()  # held while a batch is on its way to the broker
        self._pending: list[int] = []
        self._wake = threading.Event()
        self._pid = 0
        self._thread: threading.Thread | None = None

    def add(self, execution_id: int) -> None:
        with self._lock:
            if self._pid != os.getpid():  # first use, or a forked child: threads do not fork
                self._pid, self._pending, self._thread = os.getpid(), [], None
                atexit.register(self.flush)  # a command that exits at once sends its own
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="idc-enqueue", daemon=True)
                self._thread.start()
            self._pending.append(execution_id)
        self._wake.set()

    def flush(self) -> None:
        """Send what is pending now: the thread's loop, and at exit, where it first waits for a
        batch the thread has on its way (the thread dies with the interpreter, mid-send)."""
        size = max(1, int(idc_settings.ENQUEUE_BATCH_SIZE))
        with self._sending:
            with self._lock:
                pending, self._pending = self._pending, []
            for start in range(0, len(pending), size):
                enqueue_many_or_leave_to_watchdog(pending[start : start + size])

    def _run(self) -> None:
        last = 0.0
        while True:
            self._wake.wait()
            time.sleep(idc_settings.ENQUEUE_DELAY_MS / 1000)  # ids committed together go together
            interval = idc_settings.ENQUEUE_INTERVAL_MS / 1000
            # at most one interval: a clock that went back (a test's time travel) cannot stall it
            spacing = min(interval, last + interval - time.monotonic())
            if spacing > 0:
                time.sleep(spacing)
            self._hold_while_backlogged()
            self._wake.clear()
            last = time.monotonic()
            try:
                self.flush()
                close_old_connections()  # the ORM broker's connection is this thread's
            except Exception:
                # The database down while the connection is checked, say: the ids already taken
                # are queued rows the watchdog re-sends; the thread must live for the next ones.
                logger.exception("the enqueue sender's loop failed; it goes on")

    def _hold_while_backlogged(self) -> None:
        """Fill the message while the broker already holds messages no worker has taken (the
        cluster's own prefetch is full): it would wait behind them anyway. Asked once per
        message (one cheap read), then bounded by ENQUEUE_HOLD_MS in steps of sleeps, never by
        reading a clock, which may jump."""
        size = max(1, int(idc_settings.ENQUEUE_BATCH_SIZE))
        step = max(idc_settings.ENQUEUE_INTERVAL_MS, 1) / 1000
        steps = int(idc_settings.ENQUEUE_HOLD_MS / 1000 / step)
        if steps <= 0 or not _backlogged():
            return
        for _ in range(steps):
            with self._lock:
                if len(self._pending) >= size:
                    return
            time.sleep(step)


def _backlogged() -> bool:
    """A message waits in the broker untaken: on Redis its list's length (O(1)), on the ORM
    broker whether one row is due (not a count, which grows with the backlog). An error counts
    as no: the send that follows reports it."""
    try:
        current = broker()
        if isinstance(current, ORM):
            return bool(
                current.get_connection()
                .filter(key=current.list_key, lock__lte=timezone.now())
                .exists()
            )
        return bool(current.queue_size())
    except Exception:
        return False


_coalescer = _Coalescer()
flush_pending = _coalescer.flush
