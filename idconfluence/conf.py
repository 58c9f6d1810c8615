"""Project settings with defaults, read like DRF's api_settings (`idc_settings.NAME`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "EXECUTION_WINDOW_SECONDS": 15,
    "WATCHDOG_GRACE_SECONDS": 5,
    "WATCHDOG_INTERVAL_SECONDS": 2,
    "REQUEUE_AFTER_SECONDS": 30,
    # Executions committed within this many ms share one queue message (0: one message each,
    # sent in the committing thread); at most ENQUEUE_BATCH_SIZE per message.
    "ENQUEUE_DELAY_MS": 5,
    "ENQUEUE_BATCH_SIZE": 20,
    # A process sends at most one message per this many ms (the first after a quiet spell at
    # once): under load, messages carry more executions instead of adding latency when idle.
    "ENQUEUE_INTERVAL_MS": 20,
    # While messages already wait in the broker (the cluster is behind), a new one would wait
    # too: ids are held up to this many ms to fill it (fewer, fuller messages; 0: never held).
    "ENQUEUE_HOLD_MS": 100,
    "ENCRYPTION_KEYS": [],
    "CONNECTOR_TYPES": [],
    "MAX_EXPRESSION_LENGTH": 1000,
    "CLUSTER_HEARTBEAT_MAX_AGE_SECONDS": 180,
    "WATCHDOG_HEARTBEAT_MAX_AGE_SECONDS": 60,
    "QUEUE_AGE_LIMIT_SECONDS": 60,
    "METRICS_TOKEN": "",
    "METRICS_ALLOWED_NETWORKS": [],
    "METRICS_WINDOW_SECONDS": 900,
    "OVERLOAD_RETRY_AFTER_SECONDS": 5,
    # Audit events go through the sequencer (PostgreSQL), sealed every interval; a pending event
    # older than the alert limit fails `audit_verify` and degrades /readyz.
    "AUDIT_SEQUENCER": True,
    "AUDIT_SEAL_INTERVAL_SECONDS": 0.25,
    "AUDIT_SEAL_ALERT_SECONDS": 60,
}


class _Settings:
    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"unknown idconfluence setting {name!r}")
        return getattr(settings, "IDCONFLUENCE", {}).get(name, DEFAULTS[name])


idc_settings = _Settings()
