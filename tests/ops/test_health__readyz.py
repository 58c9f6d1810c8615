"""`/healthz` answers without a database or a login; `/readyz` checks the database, the broker,
the cluster's and the watchdog's heartbeats, the queue's age and the unsealed audit backlog, each
going red when its dependency stops, with messages that carry no secret."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from idconfluence.ops.heartbeats import CLUSTER, WATCHDOG, heartbeat_last
from tests.ops.conftest import TOKEN, ops_settings, readyz
from tests.support.cluster import RedisServer
from tests.support.factories import published
from tests.triggers.conftest import triggered
from workflows.models import Execution
from workflows.services.runs import run_start

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_answers_anyone_without_touching_the_database(client: Client) -> None:
    response = client.get("/healthz")  # no db fixture: a query would fail the test
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_and_metrics_refuse_without_the_token_or_an_allowed_network(client: Client) -> None:
    with ops_settings(METRICS_TOKEN=TOKEN):
        for path in ("/readyz", "/metrics"):
            assert client.get(path).status_code == 403
            wrong = client.get(path, headers={"Authorization": "Bearer not-the-token"})
            assert wrong.status_code == 403
    with ops_settings(METRICS_TOKEN="", METRICS_ALLOWED_NETWORKS=[]):  # nothing set: no one
        assert client.get("/readyz", REMOTE_ADDR="127.0.0.1").status_code == 403
    with ops_settings(METRICS_ALLOWED_NETWORKS=["10.0.0.0/8"]):
        assert client.get("/readyz", REMOTE_ADDR="10.1.2.3").status_code != 403
        assert client.get("/readyz", REMOTE_ADDR="192.0.2.1").status_code == 403


def test_ready_when_every_dependency_answers(scraper: Client, alive: None) -> None:
    status, body = readyz(scraper)
    assert status == 200, body
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "broker", "cluster", "watchdog", "queue", "audit"}
    assert all(c["status"] == "ok" for c in body["checks"].values()), body
    assert body["checks"]["queue"]["message"] == "no queued executions"


def test_a_check_can_be_asked_for_alone(scraper: Client, alive: None) -> None:
    status, body = readyz(scraper, "?check=database,broker")
    assert status == 200 and set(body["checks"]) == {"database", "broker"}
    status, body = readyz(scraper, "?check=nosuch")
    assert status == 400


@pytest.mark.parametrize(
    ("name", "setting"),
    [
        (CLUSTER, "CLUSTER_HEARTBEAT_MAX_AGE_SECONDS"),
        (WATCHDOG, "WATCHDOG_HEARTBEAT_MAX_AGE_SECONDS"),
    ],
)
def test_a_stale_heartbeat_is_not_ready(
    scraper: Client, alive: None, name: str, setting: str
) -> None:
    limit = settings.IDCONFLUENCE.get(setting, 60)
    with time_machine.travel(timezone.now() + timedelta(seconds=limit + 5)):
        status, body = readyz(scraper)
    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"][name]["status"] == "failing"
    assert f"over {limit} s" in body["checks"][name]["message"]
    assert body["checks"]["database"]["status"] == "ok"


@pytest.mark.django_db
def test_no_heartbeat_yet_is_not_ready(scraper: Client) -> None:
    status, body = readyz(scraper)
    assert status == 503
    assert body["checks"]["cluster"]["message"] == "no cluster heartbeat yet: is one running?"


@pytest.mark.django_db(transaction=True)  # the watchdog closes connections left in a transaction
def test_the_watchdog_beats_after_a_good_sweep(scraper: Client) -> None:
    call_command("watchdog", "--once", stdout=open(os.devnull, "w"))  # noqa: SIM115
    beat = heartbeat_last(WATCHDOG)
    assert beat is not None and beat.pid == os.getpid()
    assert (timezone.now() - beat.beat_at).total_seconds() < 5
    _, body = readyz(scraper, "?check=watchdog")
    assert body["checks"]["watchdog"]["status"] == "ok"


def test_an_old_queue_is_degraded_but_ready_and_webhooks_are_still_taken(
    scraper: Client, alive: None
) -> None:
    """Load shedding: nothing that could be stored is refused; /readyz says the queue is behind."""
    version = published(triggered("hires", "webhook"))
    with time_machine.travel(timezone.now() - timedelta(minutes=5)):
        run_start(workflow=version.workflow, input={})
    limit = settings.IDCONFLUENCE.get("QUEUE_AGE_LIMIT_SECONDS", 60)
    status, body = readyz(scraper)
    assert status == 200
    assert body["status"] == "degraded"
    queue = body["checks"]["queue"]
    assert queue["status"] == "degraded"
    assert queue["message"].startswith("1 queued executions, oldest 30")
    assert f"over the {limit} s limit" in queue["message"]
    assert Execution.objects.filter(state="queued").count() == 1


@pytest.mark.postgres
def test_an_audit_backlog_past_its_limit_is_degraded_until_the_sequencer_seals_it(
    scraper: Client, alive: None
) -> None:
    """The sequencer stopped (no watchdog sealing): events stay stored, /readyz says how old."""
    from audit.sequencer import audit_seal_all
    from audit.services import record

    with ops_settings(AUDIT_SEQUENCER=True):
        with time_machine.travel(timezone.now() - timedelta(minutes=3)):
            record(action="test.unsealed")
        status, body = readyz(scraper)
        assert status == 200 and body["status"] == "degraded", body
        audit = body["checks"]["audit"]
        assert audit["status"] == "degraded"
        assert audit["message"].startswith("1 unsealed audit events, oldest 18")
        audit_seal_all()
        status, body = readyz(scraper)
        assert body["checks"]["audit"] == {"status": "ok", "message": "no unsealed audit events"}


@pytest.mark.django_db
def test_the_broker_check_goes_red_when_redis_stops(scraper: Client, tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    try:
        with override_settings(Q_CLUSTER={**settings.Q_CLUSTER, "redis": server.url()}):
            _, body = readyz(scraper, "?check=broker")
            assert body["checks"]["broker"] == {"status": "ok", "message": "Redis broker answers"}
            server.stop()
            status, body = readyz(scraper, "?check=broker")
    finally:
        server.stop()
    assert status == 503
    assert body["checks"]["broker"]["status"] == "failing"
    assert body["checks"]["broker"]["message"].startswith("ConnectionError")


def test_the_database_check_goes_red_without_showing_the_password(tmp_path: Path) -> None:
    """A web process whose PostgreSQL is not there: 503, and the URL's password is not shown."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    script = (
        "import json; from django.test import Client; "
        f"r = Client(headers={{'Authorization': 'Bearer {TOKEN}'}}).get('/readyz'); "
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "IDC_TEST_DB_NAME"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "idconfluence.settings_test",
            "DATABASE_URL": f"postgresql://idc:hunter2-secret@127.0.0.1:{port}/idc",
            "IDC_METRICS_TOKEN": TOKEN,
            "DB_CONNECT_TIMEOUT": "2",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == 503
    checks = answer["body"]["checks"]
    assert checks["database"]["status"] == "failing"
    assert checks["database"]["message"].startswith("OperationalError")
    for name in (
        "broker",
        "cluster",
        "watchdog",
        "queue",
        "audit",
    ):  # one connect timeout, not five
        assert checks[name] == {
            "status": "failing",
            "message": "not checked: the database is unavailable",
        }
    assert "hunter2" not in result.stdout
