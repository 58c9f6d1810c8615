"""Writing and reading heartbeats. A beat is one upsert; it never raises, because a process
that cannot reach the database shows up as a stale heartbeat, which is the point."""

from __future__ import annotations

import logging
import os
import socket
from datetime import datetime

from django.utils import timezone

from idconfluence.ops.models import Heartbeat

logger = logging.getLogger(__name__)
CLUSTER = "cluster"
WATCHDOG = "watchdog"


def heartbeat_beat(*, name: str, at: datetime | None = None) -> bool:
    """Record that `name` is alive now (or at `at`); False when the database refused."""
    row = Heartbeat(
        name=name, beat_at=at or timezone.now(), host=socket.gethostname()[:255], pid=os.getpid()
    )
    try:
        Heartbeat.objects.bulk_create(
            [row],
            update_conflicts=True,
            unique_fields=["name"],
            update_fields=["beat_at", "host", "pid"],
        )
    except Exception as exc:  # a beat must never stop the process that beats
        logger.warning("heartbeat %s not recorded: %s", name, type(exc).__name__)
        return False
    return True


def heartbeat_last(name: str) -> Heartbeat | None:
    return Heartbeat.objects.filter(name=name).first()
