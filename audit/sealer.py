"""The loop that runs the sequencer every few hundred milliseconds, in a thread of its own.

The watchdog starts it (`manage.py audit_seal --loop` runs it alone): sealing never waits on a
sweep, and a database outage only delays it (logged once, retried with backoff) — events stay
pending, none is lost, and `audit_verify` and /readyz say how old the oldest is.
"""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection

from audit.sequencer import audit_seal_all
from idconfluence.conf import idc_settings

logger = logging.getLogger("audit.sequencer")
BACKOFF_MAX_SECONDS = 10.0


class Sealer(threading.Thread):
    def __init__(self, interval: float | None = None) -> None:
        super().__init__(name="audit-sealer", daemon=True)
        self.interval = float(interval or idc_settings.AUDIT_SEAL_INTERVAL_SECONDS)
        self.stopping = threading.Event()
        self.sealed = 0

    def stop(self, timeout: float = 5.0) -> None:
        self.stopping.set()
        self.join(timeout)

    def run(self) -> None:
        failures = 0
        while not self.stopping.is_set():
            pause = self.interval
            try:
                close_old_connections()
                self.sealed += audit_seal_all()
                if failures:
                    logger.warning("audit sealer: recovered after %d failed rounds", failures)
                failures = 0
            except Exception as exc:
                failures += 1
                pause = min(BACKOFF_MAX_SECONDS, self.interval * 2**failures)
                logger.error(
                    "audit sealer: round failed (%s: %s); retry %d in %g s",
                    type(exc).__name__,
                    str(exc).splitlines()[0] if str(exc) else "",
                    failures,
                    pause,
                    exc_info=failures == 1,
                )
                connection.close()  # a broken connection is otherwise reused
            self.stopping.wait(pause)
        connection.close()


def run_until_stopped(interval: float | None = None, stop: threading.Event | None = None) -> int:
    """Seal in the calling thread until `stop` is set (the `audit_seal --loop` command)."""
    sealer = Sealer(interval)
    if stop is not None:
        sealer.stopping = stop
    sealer.run()
    return sealer.sealed
