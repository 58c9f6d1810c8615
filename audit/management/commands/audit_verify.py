"""`manage.py audit_verify [--from DAY --to DAY]`: prove the audit log was not altered.

Exits 0 with the number of events checked, 2 naming the first event whose content, order or
neighbour was altered or removed, or 3 when an event has waited for its seal longer than
AUDIT_SEAL_ALERT_SECONDS (the sequencer is not running). It always says how many events are
stored but not sealed yet, and the oldest one's age.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.chain import verify_chain
from audit.management.window import add_window_arguments, window_from_options
from audit.sequencer import audit_backlog
from idconfluence.conf import idc_settings


class Command(BaseCommand):
    help = "Walk the audit hash chain (all of it, or a window of days) and report the first break."

    def add_arguments(self, parser: CommandParser) -> None:
        add_window_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        window = window_from_options(options)
        result = verify_chain(start=window.start, end=window.end)
        if not result.ok:
            raise CommandError(
                f"audit chain broken at event #{result.problem_seq}: {result.problem} "
                f"({result.checked} events verified before it)",
                returncode=2,
            )
        span = f" (#{result.first_seq}..#{result.last_seq})" if result.checked else ""
        backlog = audit_backlog()
        age = backlog.age_seconds()
        pending = f"{backlog.count} not sealed yet" + (
            f", the oldest {age:.1f} s old" if backlog.count else ""
        )
        limit = idc_settings.AUDIT_SEAL_ALERT_SECONDS
        if backlog.count and age > limit:
            raise CommandError(
                f"{result.checked} events verified{span}; {pending}: older than the "
                f"{limit} s limit, is the sequencer (watchdog) running?",
                returncode=3,
            )
        self.stdout.write(f"OK: {result.checked} events verified{span}; {pending}")
