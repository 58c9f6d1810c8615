"""The production broker: executions travel through a real Redis to a real qcluster, and a
duplicated message still runs the execution once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf

from tests.support.cluster import Process, start_cluster, wait_until
from tests.support.connector_types import journal_lines
from tests.support.documents import four_step
from tests.support.factories import journal_connector, published
from workflows import queue
from workflows.services.runs import run_start

pytestmark = [pytest.mark.postgres, pytest.mark.cluster, pytest.mark.django_db(transaction=True)]
REDIS_URL = "redis://127.0.0.1:6379/5"
NAME = "idc-test-redis"


@pytest.fixture
def redis_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Process]:
    redis.from_url(REDIS_URL).flushdb()
    monkeypatch.setattr(Conf, "REDIS", REDIS_URL)
    monkeypatch.setattr(Conf, "PREFIX", NAME)  # messages are signed with the cluster's name
    monkeypatch.setattr(Conf, "CLUSTER_NAME", NAME)
    monkeypatch.setattr(queue, "_broker", Redis(list_key=NAME))
    process = start_cluster(tmp_path, REDIS_URL=REDIS_URL, IDC_Q_NAME=NAME)
    yield process
    process.stop()
    redis.from_url(REDIS_URL).flushdb()


def test_executions_run_through_redis_once_even_when_the_message_is_duplicated(
    tmp_path: Path, redis_cluster: Process
) -> None:
    journal_connector(tmp_path)
    version = published(four_step())
    run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": "jane.doe"})
    execution = run.executions.get()
    queue.enqueue(execution.pk)  # the same message twice
    execution = wait_until(
        lambda: run.executions.filter(state__in=["succeeded", "parked"]).first(), 20, "the run"
    )
    assert execution.state == "succeeded", execution.failure_reason
    wait_until(lambda: redis.from_url(REDIS_URL).llen(f"django_q:{NAME}:q") == 0, 5, "drain")
    assert execution.steps.count() == 4
    assert [c["op"] for c in journal_lines(tmp_path / "journal.jsonl")] == [
        "add_group_member",
        "notify",
    ]
