"""The watchdog cannot die quietly: with Redis stopped for 10 s and PostgreSQL restarted under it,
the real watchdog process keeps running, and afterwards every queued execution whose message was
never sent runs once and every overdue one is parked.

Redis is a private `redis-server` on a free port (stopping the shared one on 6379 would break
other test runs); PostgreSQL is the shared server, so this test restarts it for everyone."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from tests.faults.support import ledger
from tests.support.cluster import (
    Process,
    RedisServer,
    child_env,
    postgres_answers,
    start_cluster,
    wait_until,
)
from tests.support.connector_types import journal_lines
from tests.support.documents import four_step
from tests.support.factories import journal_connector, published
from workflows import queue
from workflows.models import Execution
from workflows.services.runs import run_start

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
PG_CLUSTER = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main"]
REDIS_DOWN_SECONDS = 10
QUEUED, OVERDUE = 4, 2


def pg(action: str) -> None:
    subprocess.run([*PG_CLUSTER, action], check=True, capture_output=True, timeout=60)


def test_the_watchdog_survives_a_postgres_restart_and_a_redis_outage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"idc-test-outage-{uuid.uuid4().hex[:8]}"
    redis_server = RedisServer(tmp_path)
    env = child_env(REDIS_URL=redis_server.url(), IDC_Q_NAME=name, IDC_REQUEUE_AFTER_SECONDS="2")
    journal_connector(tmp_path)
    version = published(four_step())
    monkeypatch.setattr(queue, "enqueue", lambda execution_id: None)  # messages never sent
    watchdog = Process(["watchdog", "--interval", "0.5"], tmp_path / "watchdog.log", env)
    cluster: Process | None = None
    pg_stopped = False
    started = time.monotonic()
    try:
        watchdog.wait_for_output("watchdog: started")
        redis_server.stop()
        redis_stopped = time.monotonic()
        old = timezone.now() - timedelta(seconds=60)
        queued = []
        for n in range(QUEUED):
            run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": f"q{n}"})
            queued.append(run.executions.get().pk)
        Execution.objects.filter(pk__in=queued).update(enqueued_at=old)
        overdue = []
        for n in range(OVERDUE):
            run = run_start(workflow=version.workflow, input={"type": "HIRE", "user": f"o{n}"})
            overdue.append(run.executions.get().pk)
        # past deadline + grace only while PostgreSQL is down (grace is 1 s in tests)
        Execution.objects.filter(pk__in=overdue).update(
            state="running",
            started_at=old,
            worker="host:1",
            deadline=timezone.now() + timedelta(seconds=0.5),
        )
        watchdog.wait_for_output("sweep failed (ConnectionError")
        # a send that failed counted nothing
        assert set(
            Execution.objects.filter(pk__in=queued).values_list("enqueued_at", "enqueue_count")
        ) == {(old, 1)}

        connection.close()
        pg("stop")
        pg_stopped = True
        time.sleep(3)
        pg("start")
        pg_stopped = False
        wait_until(postgres_answers, 30, "PostgreSQL to answer again")
        time.sleep(max(0.0, REDIS_DOWN_SECONDS - (time.monotonic() - redis_stopped)))
        assert watchdog.proc.poll() is None, watchdog.output()
        redis_server.start()
        outage = time.monotonic() - redis_stopped

        watchdog.wait_for_output("watchdog: recovered after", timeout=20)
        assert watchdog.proc.poll() is None, watchdog.output()
        cluster = start_cluster(tmp_path, REDIS_URL=redis_server.url(), IDC_Q_NAME=name)
        wait_until(
            lambda: Execution.objects.filter(pk__in=queued, state="succeeded").count() == QUEUED,
            30,
            "every queued execution to succeed",
        )
        executions = Execution.objects.filter(pk__in=queued)
        assert {e.steps.count() for e in executions} == {4}
        assert {e.run.executions.count() for e in executions} == {1}
        calls = Counter((c["op"], c.get("user")) for c in journal_lines(tmp_path / "journal.jsonl"))
        assert calls == {("add_group_member", f"q{n}"): 1 for n in range(QUEUED)} | {
            ("notify", None): QUEUED
        }
        parked = Execution.objects.filter(pk__in=overdue)
        assert {e.state for e in parked} == {"parked"}
        assert all("worker lost" in e.failure_reason for e in parked), [
            e.failure_reason for e in parked
        ]

        log = watchdog.output()
        assert watchdog.proc.poll() is None, log
        assert "sweep failed (OperationalError" in log or "sweep failed (InterfaceError" in log
        assert log.count("Traceback (most recent call last)") <= 2, log  # once per outage
        ledger(
            "PostgreSQL restarted + Redis down 10 s under the watchdog",
            executions=QUEUED + len(overdue),
            lost=Execution.objects.filter(pk__in=[*queued, *overdue])
            .exclude(state__in=["succeeded", "parked"])
            .count(),
            duplicated=sum(n - 1 for (op, _), n in calls.items() if op != "notify")
            + calls[("notify", None)]
            - QUEUED,
        )
        print(
            f"outage {outage:.1f} s (Redis down), PostgreSQL down ~3 s; "
            f"whole test {time.monotonic() - started:.1f} s"
        )
    finally:
        if pg_stopped or not postgres_answers():
            pg("start")
            wait_until(postgres_answers, 30, "PostgreSQL to answer again")
        if cluster is not None:
            cluster.stop()
        watchdog.stop()
        redis_server.stop()
