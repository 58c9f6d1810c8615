"""`manage.py audit_seal [--loop]`: give pending audit events their place in the chain.

The watchdog does this every AUDIT_SEAL_INTERVAL_SECONDS; this command is for deployments that
run the sequencer on its own, and for operators who want the backlog sealed now.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from audit.sealer import run_until_stopped
from audit.sequencer import audit_seal_all


class Command(BaseCommand):
    help = "Seal the pending audit events (once, or every interval with --loop)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="keep sealing until SIGTERM")
        parser.add_argument("--interval", type=float, default=None, help="seconds between rounds")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["loop"]:
            self.stdout.write(f"sealed {audit_seal_all()} events")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        sealed = run_until_stopped(options["interval"], stop)
        self.stdout.write(f"sealed {sealed} events; stopped")
