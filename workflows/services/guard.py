"""The second line of the execution window: a thread that parks the execution when its worker's
main thread is stuck past the deadline where the hard stop's signal cannot reach it.

SIGALRM only runs its handler when the main thread returns to the interpreter: a call blocked in
C (getaddrinfo retries EINTR), a long evaluation in Rust, or a connector that swallows the stop in
a loop would otherwise keep the execution `running` until django-q2 kills the worker and the
watchdog finds it much later, naming no block. The guard parks it `margin` seconds after the
window, naming the block in progress; the worker, if it ever returns, is fenced out.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from django.db import connection

from workflows.services.parking import execution_park_running

logger = logging.getLogger(__name__)
MARGIN_SECONDS = 1.0


class DeadlineGuard:
    """Armed for one execution (`with guard:`); one watcher thread per process serves them all,
    so an execution does not pay for starting a thread."""

    def __init__(
        self,
        *,
        execution_id: int,
        lease: int,
        ends_at: float,
        current_block: Callable[[], str],
        margin: float = MARGIN_SECONDS,
    ) -> None:
        self.execution_id = execution_id
        self.lease = lease
        self.ends_at = ends_at
        self.current_block = current_block
        self.margin = margin
        self.fired = False

    @property
    def fires_at(self) -> float:
        return self.ends_at + self.margin

    def __enter__(self) -> DeadlineGuard:
        _watcher.arm(self)
        return self

    def __exit__(self, *exc: object) -> None:
        _watcher.disarm(self)

    def fire(self) -> None:
        self.fired = True
        try:
            execution_park_running(
                execution_id=self.execution_id,
                why="the worker was stuck where its stop could not reach it",
                actor_label="deadline guard",
                lease=self.lease,
                block=self.current_block(),
            )
        except Exception:  # the watchdog parks it later; never take the worker down from here
            logger.exception("deadline guard could not park execution %s", self.execution_id)
        finally:
            connection.close()  # the watcher thread's own connection


class _Watcher:
    """Fires each armed guard at its time, from one daemon thread (started on first use, and
    again in a forked child: threads do not survive fork)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, DeadlineGuard] = {}
        self._pid = 0

    def arm(self, guard: DeadlineGuard) -> None:
        with self._cond:
            if self._pid != os.getpid():
                self._pid, self._armed = os.getpid(), {}
                threading.Thread(target=self._run, name="deadline-guard", daemon=True).start()
            self._armed[id(guard)] = guard
            self._cond.notify()

    def disarm(self, guard: DeadlineGuard) -> None:
        with self._cond:
            self._armed.pop(id(guard), None)

    def _run(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due = [g for g in self._armed.values() if g.fires_at <= now]
                for guard in due:
                    del self._armed[id(guard)]
                if not due:
                    soonest = min((g.fires_at for g in self._armed.values()), default=None)
                    self._cond.wait(None if soonest is None else soonest - now)
                    continue
            for guard in due:  # outside the lock: parking takes a database round trip
                guard.fire()


_watcher = _Watcher()
