"""`manage.py watchdog`: parks executions whose worker died and re-enqueues lost messages.

It runs beside `qcluster`, not inside it, so it keeps working when the cluster is wedged.
"""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from idconfluence.conf import idc_settings
from workflows.services.sweeps import sweep_overdue, sweep_unclaimed


class Command(BaseCommand):
    help = "Park executions past their deadline and re-enqueue unclaimed ones, every few seconds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="sweep once and exit")
        parser.add_argument("--interval", type=float, default=None, help="seconds between sweeps")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"] or idc_settings.WATCHDOG_INTERVAL_SECONDS
        stopping = False

        def stop(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            close_old_connections()
            parked, requeued = sweep_overdue(), sweep_unclaimed()
            if parked or requeued or options["once"]:
                self.stdout.write(f"watchdog: parked {parked}, re-enqueued {requeued}")
            if options["once"] or stopping:
                return
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.1)
