"""Issue 15: 400 signed webhooks from 50 concurrent senders through gunicorn with a small
connection pool per web process. Every delivery ends accepted: answered 202 at once, or 503 with
Retry-After (the pool was exhausted) and accepted when the sender retries as told; never a 500;
and each run is executed once by a real qcluster."""

from __future__ import annotations

import collections
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count
from standardwebhooks.webhooks import Webhook

from tests.support.cluster import Process, start_cluster, wait_until
from tests.support.connector_types import journal_lines
from tests.support.documents import block, document, edge
from tests.support.factories import journal_connector, published
from tests.support.gunicorn import Gunicorn
from workflows.models import Execution, Run
from workflows.models_triggers import WebhookEndpoint
from workflows.services.triggers import endpoint_path, endpoint_rotate_secret

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.servers,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
DELIVERIES, SENDERS = 400, 50
POOL = {"DB_POOL_MAX_SIZE": "3", "DB_POOL_MIN_SIZE": "1", "DB_POOL_TIMEOUT": "1"}


def hires() -> dict[str, Any]:
    return document(
        "load-hires",
        [
            block(
                "start",
                "trigger",
                "webhook",
                idempotency_key="payload.eventId",
                mapping={"user": "=payload.user"},
            ),
            block(
                "grant",
                "action",
                "add_group_member",
                connector="journal",
                args={"user": "=event.user", "group": "Staff"},
            ),
        ],
        [edge("start", "grant")],
    )


@pytest.fixture
def web(tmp_path: Path) -> Iterator[Gunicorn]:
    server = Gunicorn(
        tmp_path / "web.log",
        workers=2,
        threads=SENDERS // 2,  # 50 requests in flight, 6 database connections between them
        IDC_WEBHOOK_RATE_PER_MINUTE="0",
        **POOL,
    )
    yield server
    server.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Process]:
    process = start_cluster(tmp_path)
    yield process
    process.stop()


def test_fifty_senders_get_202_or_a_503_to_retry_and_every_run_executes_once(
    tmp_path: Path, web: Gunicorn, cluster: Process
) -> None:
    journal_connector(tmp_path)
    version = published(hires())
    endpoint = WebhookEndpoint.objects.get(workflow=version.workflow)
    path, signer = (
        endpoint_path(endpoint),
        Webhook(endpoint_rotate_secret(endpoint=endpoint, actor=None)),
    )
    statuses: collections.Counter[int] = collections.Counter()
    refusals: list[tuple[str, str]] = []  # (Retry-After, body) of each 503
    lock = threading.Lock()
    start = threading.Barrier(SENDERS)

    def send(n: int) -> None:
        body = json.dumps({"eventId": f"E{n}", "user": f"user{n}"}).encode()
        for _attempt in range(20):
            when = datetime.now(UTC)
            headers = {
                "Content-Type": "application/json",
                "webhook-id": f"msg_{n}",
                "webhook-timestamp": str(int(when.timestamp())),
                "webhook-signature": signer.sign(f"msg_{n}", when, body.decode()),
            }
            reply = web.request("POST", path, body, headers, timeout=30)
            with lock:
                statuses[reply.status] += 1
                if reply.status == 503:
                    refusals.append((reply.headers.get("Retry-After", ""), reply.body.decode()))
            if reply.status != 503:
                assert reply.status in (200, 202), (reply.status, reply.body[:300])
                return
            time.sleep(min(float(reply.headers["Retry-After"]), 1.0))  # as told (capped)
        raise AssertionError(f"delivery {n} never accepted")

    def sender(first: int) -> None:
        start.wait()
        for n in range(first, DELIVERIES, SENDERS):
            send(n)

    threads = [threading.Thread(target=sender, args=(i,)) for i in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses[500] == 0
    assert statuses[202] == DELIVERIES, statuses  # each accepted once (a retry after a lost
    # answer would be 200 "duplicate": none expected, every 503 stored nothing)
    for retry_after, body in refusals:
        assert int(retry_after) >= 1 and json.loads(body)["status"] == "refused", body
    wait_until(
        lambda: Execution.objects.filter(state="succeeded").count() == DELIVERIES,
        120,
        "every run executed",
    )
    assert Run.objects.count() == DELIVERIES
    assert {row["n"] for row in Execution.objects.values("run_id").annotate(n=Count("pk"))} == {1}
    keys = collections.Counter(line["key"] for line in journal_lines(tmp_path / "journal.jsonl"))
    assert len(keys) == DELIVERIES and set(keys.values()) == {1}
    web.assert_healthy()
    print(f"load: {dict(statuses)} over {DELIVERIES} deliveries from {SENDERS} senders")
