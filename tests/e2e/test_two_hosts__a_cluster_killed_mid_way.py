"""Issue 15: production on several machines, on one. One PostgreSQL, one Redis (the broker), two
web hosts (gunicorn) and two worker hosts (qcluster), plus a watchdog, each a process group of
its own with its own settings. 500 signed webhooks spread over both web hosts, 20% of them sent
again; one worker host is killed with SIGKILL mid-way and started again. Then: exactly one run
per distinct delivery, every run ended or in the review queue, no external change made twice, and
the metrics each web host serves agree with the database."""

from __future__ import annotations

import collections
import itertools
import json
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks.webhooks import Webhook

from audit.chain import verify_chain
from audit.models import AuditEvent, PendingAuditEvent
from tests.support.cluster import Process, RedisServer, child_env, wait_until
from tests.support.connector_types import journal_lines
from tests.support.documents import block, document, edge
from tests.support.factories import journal_connector, published
from tests.support.gunicorn import Gunicorn
from workflows.models import Execution, Run
from workflows.models_triggers import DeliveryOutcome, WebhookDelivery, WebhookEndpoint
from workflows.services.triggers import endpoint_path, endpoint_rotate_secret

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.cluster,
    pytest.mark.servers,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
DISTINCT, RESENT, SENDERS = 500, 100, 10
CLUSTER_NAME = "idc-two-hosts"  # both worker hosts serve one queue, as in production
METRICS_TOKEN = "two-hosts-metrics-token-0123456789"


def scrape(server: Gunicorn) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = server.request("GET", "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert reply.status == 200, reply.body[:300]
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(reply.body.decode())
        for sample in family.samples
    }


def joiner() -> dict[str, Any]:
    return document(
        "two-hosts",
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
            block("done", "logic", "noop"),
        ],
        [edge("start", "grant"), edge("grant", "done")],
    )


class Hosts:
    """Each host's processes with its own environment, all against the test database."""

    def __init__(self, tmp_path: Path, redis_url: str) -> None:
        self.tmp_path = tmp_path
        shared = {
            "REDIS_URL": redis_url,
            "IDC_Q_NAME": CLUSTER_NAME,
            "IDC_WEBHOOK_RATE_PER_MINUTE": "0",  # this test sends far more than 600 a minute
            "IDC_REQUEUE_AFTER_SECONDS": "10",
            "IDC_METRICS_TOKEN": METRICS_TOKEN,
            "IDC_AUDIT_SEQUENCER": "1",  # as in production: the watchdog seals the audit log
        }
        self.env = {
            "web-a": {**shared, "IDC_HOST": "web-a"},
            "web-b": {**shared, "IDC_HOST": "web-b"},
            "worker-a": {**shared, "IDC_HOST": "worker-a", "IDC_Q_WORKERS": "2"},
            "worker-b": {**shared, "IDC_HOST": "worker-b", "IDC_Q_WORKERS": "3"},
            "watchdog": {**shared, "IDC_HOST": "watchdog"},
        }
        self.web = [
            Gunicorn(tmp_path / f"{name}.log", workers=2, threads=4, **self.env[name])
            for name in ("web-a", "web-b")
        ]
        self.workers = {name: self.start_worker(name) for name in ("worker-a", "worker-b")}
        self.watchdog = Process(
            ["watchdog", "--interval", "0.5"],
            tmp_path / "watchdog.log",
            child_env(**self.env["watchdog"]),
        )

    def start_worker(self, name: str) -> Process:
        log = self.tmp_path / f"{name}-{len(list(self.tmp_path.glob(name + '*')))}.log"
        process = Process(["qcluster"], log, child_env(**self.env[name]))
        process.wait_for_output("ready for work", timeout=60)
        return process

    def stop(self) -> None:
        for process in [*self.workers.values(), self.watchdog]:
            process.stop()
        for server in self.web:
            server.stop()


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[Hosts]:
    redis_server = RedisServer(tmp_path)
    started = Hosts(tmp_path, redis_server.url())
    try:
        yield started
    finally:
        started.stop()
        redis_server.stop()


def running_on(pids: set[str]) -> int:
    workers = Execution.objects.filter(state="running").values_list("worker", flat=True)
    return sum(worker.endswith(tuple(pids)) for worker in workers)


def descendants(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = {int(child) for child in children.read_text().split()} if children.exists() else set()
    return found | {grand for child in found for grand in descendants(child)}


def deliveries(secret: str) -> list[tuple[str, bytes, dict[str, str]]]:
    """500 distinct events and 100 of them again (same webhook-id and eventId), shuffled so a
    re-send may come before, during or after its first delivery's run."""
    signer, made = Webhook(secret), []
    from datetime import UTC, datetime

    for n in range(DISTINCT):
        body = json.dumps({"eventId": f"E{n}", "user": f"user{n}"}).encode()
        when = datetime.now(UTC)
        headers = {
            "Content-Type": "application/json",
            "webhook-id": f"msg_{n}",
            "webhook-timestamp": str(int(when.timestamp())),
            "webhook-signature": signer.sign(f"msg_{n}", when, body.decode()),
        }
        made.append((f"E{n}", body, headers))
    rng = random.Random(15)
    again = rng.sample(made, RESENT)
    sequence = made + again
    rng.shuffle(sequence)
    return sequence


def test_two_web_and_two_worker_hosts_lose_nothing_and_do_nothing_twice_when_one_is_killed(
    tmp_path: Path, hosts: Hosts
) -> None:
    journal_connector(tmp_path, sleep=0.15)  # an external change that takes a moment
    version = published(joiner())
    endpoint = WebhookEndpoint.objects.get(workflow=version.workflow)
    path = endpoint_path(endpoint)
    sequence = deliveries(endpoint_rotate_secret(endpoint=endpoint, actor=None))

    answers: collections.Counter[int] = collections.Counter()
    by_host: collections.Counter[int] = collections.Counter()
    next_index = itertools.count()
    killed, half_sent = threading.Event(), threading.Event()
    lock = threading.Lock()

    def send() -> None:
        while (i := next(next_index)) < len(sequence):
            _, body, headers = sequence[i]
            server = hosts.web[i % 2]
            reply = server.request("POST", path, body, headers)
            with lock:
                answers[reply.status] += 1
                by_host[i % 2] += 1
            if i == len(sequence) // 2:
                half_sent.set()

    def kill_mid_execution() -> None:
        """Once half is sent, SIGKILL worker-a's whole process group while both of its worker
        processes are inside an execution (each takes 150 ms or more: one at least is hit)."""
        half_sent.wait()
        worker_a = hosts.workers["worker-a"]
        pids = {f":{pid}" for pid in descendants(worker_a.proc.pid)}
        wait_until(
            lambda: running_on(pids) >= 2,
            30,
            "both of worker-a's processes inside an execution",
        )
        worker_a.kill()
        killed.set()

    killer = threading.Thread(target=kill_mid_execution)
    killer.start()
    senders = [threading.Thread(target=send) for _ in range(SENDERS)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join()
    killer.join()
    assert killed.is_set()
    hosts.workers["worker-a"] = hosts.start_worker("worker-a")  # the host comes back

    assert answers == {202: DISTINCT, 200: RESENT}, answers  # a re-send: 200, the first run
    assert by_host[0] > 250 and by_host[1] > 250

    ended = ["succeeded", "parked"]
    wait_until(
        lambda: not Execution.objects.exclude(state__in=ended).exists(),
        120,
        "every execution ended or parked for review",
    )
    runs = Run.objects.all()
    assert runs.count() == DISTINCT
    assert sorted(runs.values_list("trigger_ref", flat=True)) == sorted(
        f"webhook:E{n}" for n in range(DISTINCT)
    )
    accepted = WebhookDelivery.objects.filter(outcome=DeliveryOutcome.ACCEPTED)
    assert accepted.count() == DISTINCT
    assert WebhookDelivery.objects.filter(outcome=DeliveryOutcome.DUPLICATE).count() == RESENT
    assert set(runs.values_list("state", flat=True)) <= {"succeeded", "failed"}
    per_run = Execution.objects.values("run_id").annotate(n=Count("pk"))
    assert {row["n"] for row in per_run} == {1}  # nothing re-run behind the operator's back

    lines = journal_lines(tmp_path / "journal.jsonl")
    keys = collections.Counter(line["key"] for line in lines)
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]  # never twice
    succeeded = Run.objects.filter(state="succeeded").values_list("pk", flat=True)
    assert {f"idc-{pk}-grant" for pk in succeeded} <= set(keys)  # each applied once
    parked = Execution.objects.filter(state="parked")
    for execution in parked:  # each one in review says why
        assert execution.failure_reason, execution.pk
    assert parked.count() >= 1, "the kill hit no execution in flight"
    requeued = Execution.objects.filter(enqueue_count__gt=1).count()
    by_state = dict(Execution.objects.values_list("state").annotate(n=Count("pk")))
    by_outcome = dict(WebhookDelivery.objects.values_list("outcome").annotate(n=Count("pk")))
    for server in hosts.web:  # each web host reports what the database holds
        samples = scrape(server)
        for state, count in by_state.items():
            assert samples[("idc_executions", (("state", state),))] == count, state
        for outcome, count in by_outcome.items():
            assert samples[("idc_webhook_deliveries_total", (("outcome", outcome),))] == count
        assert samples[("idc_parked_executions", ())] == parked.count()

    # Every audit event of every host reached the chain through the watchdog's sequencer.
    wait_until(lambda: not PendingAuditEvent.objects.exists(), 10, "the audit log sealed")
    chain = verify_chain()
    assert chain.ok, chain.problem
    started = AuditEvent.objects.filter(action="execution.started").count()
    assert started == Execution.objects.exclude(state="queued").count()
    assert AuditEvent.objects.filter(action="run.succeeded").count() == len(succeeded)
    print(
        f"two hosts: {DISTINCT} runs, {parked.count()} parked for review after the kill, "
        f"{requeued} re-sent by the watchdog, "
        f"{len(lines)} changes applied, answered by web-a/web-b {by_host[0]}/{by_host[1]}"
    )
