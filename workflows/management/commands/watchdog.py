"""`manage.py watchdog`: parks executions whose worker died and re-enqueues lost messages
(executions' and background jobs' alike), and seals the audit log (audit/sealer.py, a thread of
its own: every AUDIT_SEAL_INTERVAL_SECONDS, whatever the sweeps are doing).

It runs beside `qcluster`, not inside it, so it keeps working when the cluster is wedged. It
cannot die quietly: a round that fails (PostgreSQL restarted, the broker down, any error) is
logged in one line (the traceback once per outage), its connections are closed so the next round
reconnects, and it is retried with exponential backoff; it logs when it recovers. Only SIGTERM or
SIGINT stops it (or `--once`, which raises instead of retrying).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connections
from django.utils import timezone

from audit.sealer import Sealer
from audit.sequencer import audit_seal_all
from audit.services import sequenced
from idconfluence.conf import idc_settings
from idconfluence.jobs.services import sweep_stalled_items
from idconfluence.ops.heartbeats import WATCHDOG, heartbeat_beat
from workflows import queue
from workflows.services.sweeps import sweep_overdue, sweep_unclaimed

logger = logging.getLogger("workflows.watchdog")
BACKOFF_FIRST_SECONDS = 0.5
BACKOFF_MAX_SECONDS = 10.0


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}".rstrip(": ")


class Command(BaseCommand):
    help = "Park executions past their deadline and re-enqueue unclaimed ones, every few seconds."

    #: When the last round that completed without an error finished (None before the first).
    last_good_sweep: datetime | None = None

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="sweep once and exit")
        parser.add_argument("--interval", type=float, default=None, help="seconds between sweeps")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"] or idc_settings.WATCHDOG_INTERVAL_SECONDS
        once = options["once"]
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        # the audit sequencer rides along when events are sequenced (PostgreSQL, the default)
        sealer = Sealer() if sequenced() and not once else None
        if sealer is not None:
            sealer.start()
        try:
            self._loop(interval, once, lambda: stopping)
        finally:
            if sealer is not None:
                sealer.stop()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _loop(self, interval: float, once: bool, stopping: Callable[[], bool]) -> None:
        if not once:
            self.stdout.write(f"watchdog: started, sweeping every {interval:g} s")
        failures = 0
        failing_since = 0.0
        while True:
            close_old_connections()
            # each sweep on its own: parking needs no broker, and one failing must not starve
            # the other
            counts, errors = [], []
            sweeps = (sweep_overdue, sweep_unclaimed, sweep_stalled_items)
            for sweep in (*sweeps, audit_seal_all) if once else sweeps:
                try:
                    counts.append(sweep())
                except Exception as exc:
                    if once:
                        raise
                    counts.append(0)
                    errors.append(exc)
            parked, requeued, resent = counts[:3]
            if parked or requeued or resent or once:
                self.stdout.write(
                    f"watchdog: parked {parked}, re-enqueued {requeued}, job items re-sent {resent}"
                )
            if errors:
                self._reset_connections()
                if failures == 0:
                    failing_since = time.monotonic()
                failures += 1
                pause = min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (failures - 1))
                logger.error(
                    "watchdog: sweep failed (%s); retry %d in %g s; last good sweep %s",
                    "; ".join(dict.fromkeys(_one_line(exc) for exc in errors)),
                    failures,
                    pause,
                    self.last_good_sweep.isoformat() if self.last_good_sweep else "never",
                    exc_info=errors[0] if failures == 1 else None,  # a traceback once per outage
                )
            else:
                self.last_good_sweep = timezone.now()
                heartbeat_beat(name=WATCHDOG, at=self.last_good_sweep)  # what /readyz reads
                if failures:
                    logger.warning(
                        "watchdog: recovered after %d failed rounds (%.1f s)",
                        failures,
                        time.monotonic() - failing_since,
                    )
                    failures = 0
                pause = interval
            if once or stopping():
                return
            deadline = time.monotonic() + pause
            while not stopping() and time.monotonic() < deadline:
                time.sleep(0.1)
            if stopping():
                return

    @staticmethod
    def _reset_connections() -> None:
        """Close every database connection and drop the cached broker: the next round
        reconnects (a connection broken by a server restart is otherwise reused)."""
        for conn in connections.all(initialized_only=True):
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                conn.close()
        queue.forget_broker()
