"""Workflows with schedule and webhook triggers, declared here, and a signed-delivery helper."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import connection
from django.test import Client
from standardwebhooks.webhooks import Webhook

from tests.support.documents import block, document, edge
from tests.support.factories import published
from workflows.models_triggers import WebhookEndpoint
from workflows.services.triggers import endpoint_path, endpoint_rotate_secret

T = TypeVar("T")
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
NY = "America/New_York"


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SAMPLES / f"{name}.json").read_text())
    return loaded


def triggered(slug: str, trigger_type: str, **config: Any) -> dict[str, Any]:
    """A trigger of `trigger_type` followed by one no-op block."""
    return document(
        slug,
        [block("start", "trigger", trigger_type, **config), block("done", "logic", "noop")],
        [edge("start", "done")],
    )


def market_close(slug: str = "market-close", **config: Any) -> dict[str, Any]:
    """Every NYSE market day at 15:30 New York time."""
    config = {"cron": "30 15 * * 1-5", "timezone": NY, "calendar": {"holidays": "NYSE"}, **config}
    return triggered(slug, "schedule", **config)


WORKDAY_HIRES = {
    "filter": "payload.eventType == 'HIRE'",
    "idempotency_key": "payload.eventId",
    "mapping": {
        "user": "=payload.worker.userName",
        "department": "=payload.worker.organization.name",
    },
}


class Sender:
    """An HR system posting to one endpoint: signs like the Standard Webhooks libraries do."""

    def __init__(self, client: Client, endpoint: WebhookEndpoint, secret: str) -> None:
        self.client, self.endpoint, self.secret = client, endpoint, secret

    def signed(self, body: bytes, msg_id: str, when: datetime | None = None) -> dict[str, str]:
        when = when or datetime.now(UTC)
        signature = Webhook(self.secret).sign(msg_id, when, body.decode())
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": signature,
        }

    def post(
        self,
        payload: Any = None,
        *,
        msg_id: str = "msg_1",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        body = json.dumps(payload).encode() if body is None else body
        headers = self.signed(body, msg_id) if headers is None else headers
        return self.client.post(
            endpoint_path(self.endpoint), data=body, content_type=content_type, headers=headers
        )


def webhook_sender(client: Client, slug: str = "workday-hires", **config: Any) -> Sender:
    version = published(triggered(slug, "webhook", **config))
    endpoint = WebhookEndpoint.objects.get(workflow=version.workflow)
    return Sender(client, endpoint, endpoint_rotate_secret(endpoint=endpoint, actor=None))


@pytest.fixture
def sender(db: None, client: Client) -> Sender:
    return webhook_sender(client, **WORKDAY_HIRES)


def concurrently(task: Callable[[], T], times: int) -> list[T]:
    """`task`'s results from `times` threads released at the same instant, each with its own
    database connection (closed when it is done)."""
    start = threading.Barrier(times)
    results: list[T] = []

    def worker() -> None:
        start.wait()
        try:
            results.append(task())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
