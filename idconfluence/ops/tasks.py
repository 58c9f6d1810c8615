"""django-q2 entry points of the ops app."""

from __future__ import annotations

from idconfluence.ops.heartbeats import CLUSTER, heartbeat_beat

HEARTBEAT_SCHEDULE = "idconfluence.cluster_heartbeat"


def cluster_heartbeat() -> bool:
    """Every minute (a django-q2 schedule): a cluster's scheduler, broker and a worker all work."""
    return heartbeat_beat(name=CLUSTER)
