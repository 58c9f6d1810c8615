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
import threading
import time
from collections.abc import Callable

from django.db import connection

from workflows.services.parking import execution_park_running

logger = logging.getLogger(__name__)
MARGIN_SECONDS = 1.0


class DeadlineGuard:
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
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> DeadlineGuard:
        self._thread = threading.Thread(
            target=self._watch, name=f"deadline-guard-{self.execution_id}", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()

    def _watch(self) -> None:
        if self._done.wait(max(self.ends_at - time.monotonic(), 0.0) + self.margin):
            return
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
            connection.close()  # this thread's own connection
