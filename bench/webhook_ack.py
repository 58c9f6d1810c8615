"""BENCHMARKS.md goal 2: webhook acknowledgement (run stored, 202 answered) at 10 concurrent
senders against a bare one-insert view, served by the same gunicorn in one run: bare -> webhook
-> bare.

    .venv/bin/python bench/webhook_ack.py [--requests 2000] [--senders 10] [--workers 2]
        [--threads 5] [--max-seconds 60] [--broker orm|redis]

It creates (and drops first) the PostgreSQL database idc_bench_webhook on 127.0.0.1, publishes a
webhook-triggered workflow (trigger with a mapping, then 2 logic blocks), rotates its signing secret
and serves bench.settings (the project plus bench/bare_app.py) with gunicorn on 127.0.0.1. Each
sender keeps one connection alive and posts distinct Standard Webhooks-signed deliveries (a new
webhook-id each). No cluster runs: executions stay queued; the script counts the runs stored.
The server's log is bench/out/webhook_server.log.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import http.client
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import common

ROOT = Path(__file__).resolve().parents[1]
DB = "idc_bench_webhook"
HOST = "127.0.0.1"
REDIS_DB = common.REDIS_URL.rsplit("/", 1)[1]


psql = common.psql


def environment(broker: str) -> dict[str, str]:
    return common.environment(
        DB,
        broker,
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP on loopback
        # counted on every delivery, never reached: the counting's cost is measured, not the 429
        IDC_WEBHOOK_RATE_PER_MINUTE="100000000",
    )


def webhook_workflow() -> tuple[str, str]:
    """Publish the workflow and rotate its secret; returns (path, secret)."""
    from workflows.models_triggers import WebhookEndpoint
    from workflows.services.triggers import endpoint_path, endpoint_rotate_secret
    from workflows.services.versions import workflow_import

    blocks = [
        {
            "key": "start",
            "kind": "trigger",
            "type": "webhook",
            "config": {"mapping": {"user": "=payload.user", "department": "=payload.department"}},
        },
        {
            "key": "is_finance",
            "kind": "logic",
            "type": "condition",
            "config": {"expression": "event.department == 'Finance'"},
        },
        {"key": "done", "kind": "logic", "type": "noop"},
    ]
    edges = [
        {"from": "start", "to": "is_finance", "outcome": "next"},
        {"from": "is_finance", "to": "done", "outcome": "true"},
        {"from": "is_finance", "to": "done", "outcome": "false"},
    ]
    document = {
        "format": "idconfluence.workflow/v1",
        "workflow": {"slug": "bench-webhook", "name": "Bench webhook"},
        "blocks": blocks,
        "edges": edges,
    }
    workflow = workflow_import(document=document, actor=None, publish=True).workflow
    endpoint = WebhookEndpoint.objects.get(workflow=workflow)
    return endpoint_path(endpoint), endpoint_rotate_secret(endpoint=endpoint, actor=None)


class Server:
    """gunicorn in its own process group, so stopping it ends its workers too."""

    def __init__(self, env: dict[str, str], workers: int, threads: int, log: Path) -> None:
        with socket.socket() as probe:  # a free port on loopback
            probe.bind((HOST, 0))
            self.port = probe.getsockname()[1]
        gunicorn = Path(sys.executable).with_name("gunicorn")
        if not gunicorn.exists():
            sys.exit(f"no {gunicorn}: install the dev extras (pip install -e '.[dev]')")
        self.fh = log.open("w")
        command = [
            str(gunicorn),
            "idconfluence.wsgi:application",
            f"--bind={HOST}:{self.port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--keep-alive=30",
            "--log-level=warning",
        ]
        self.proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start; see {log}")
            with contextlib.suppress(OSError):
                connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
                connection.request("GET", "/bench/bare/")
                status = connection.getresponse().status
                connection.close()
                if status == 405:  # POST only: it is up
                    return
            time.sleep(0.1)

    def workers(self) -> set[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)
        with contextlib.suppress(ProcessLookupError):  # a worker may outlive the arbiter
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.fh.close()


Request = tuple[bytes, dict[str, str]]


def deliveries(prefix: str, count: int, secret: str | None) -> list[Request]:
    """`count` distinct payloads with a unique webhook-id each, signed if `secret` is given."""
    from standardwebhooks.webhooks import Webhook

    signer = Webhook(secret) if secret else None
    made = []
    for i in range(count):
        msg_id = f"msg_{prefix}_{i}"
        department = "Finance" if i % 2 else "Sales"
        body = json.dumps({"user": f"user{i}", "department": department, "n": i}).encode()
        headers = {"Content-Type": "application/json", "webhook-id": msg_id}
        if signer is not None:
            when = datetime.now(UTC)
            headers["webhook-timestamp"] = str(int(when.timestamp()))
            headers["webhook-signature"] = signer.sign(msg_id, when, body.decode())
        made.append((body, headers))
    return made


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    workers: collections.Counter[str] = field(default_factory=collections.Counter)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    client_cpu: float = 0.0
    commits: int = 0
    server_cpu: float = 0.0
    database_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed

    def percentile(self, q: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1] * 1000


def load(
    name: str, port: int, path: str, requests: list[Request], senders: int, max_seconds: float
) -> Phase:
    """`senders` threads, one kept-alive connection each, share the requests until all are sent
    or `max_seconds` have passed."""
    phase = Phase(name)
    counter = itertools.count()  # next() is atomic under the GIL
    start = threading.Barrier(senders + 1)
    lock = threading.Lock()
    deadline = 0.0

    def sender() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        latencies, statuses, workers, errors = [], collections.Counter(), collections.Counter(), []
        start.wait()
        while (i := next(counter)) < len(requests) and time.perf_counter() < deadline:
            body, headers = requests[i]
            began = time.perf_counter()
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                answer = response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                connection.close()  # reconnects on the next request
                continue
            latencies.append(time.perf_counter() - began)
            statuses[response.status] += 1
            workers[response.getheader("X-Bench-Worker", "?")] += 1
            if response.status != 202 and len(errors) < 3:
                errors.append(f"{response.status}: {answer[:200]!r}")
        connection.close()
        with lock:
            phase.latencies += latencies
            phase.statuses.update(statuses)
            phase.workers.update(workers)
            phase.errors += errors

    threads = [threading.Thread(target=sender) for _ in range(senders)]
    for thread in threads:
        thread.start()
    cpu = time.process_time()
    began = time.perf_counter()
    deadline = began + max_seconds
    start.wait()
    for thread in threads:
        thread.join()
    phase.elapsed = time.perf_counter() - began
    phase.client_cpu = time.process_time() - cpu
    return phase


def cpu_seconds(pids: set[int]) -> dict[int, float]:
    """CPU time (user + system) so far of each process still alive (Linux /proc)."""
    tick, seconds = os.sysconf("SC_CLK_TCK"), {}
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            seconds[pid] = (int(fields[11]) + int(fields[12])) / tick
    return seconds


def backends() -> set[int]:
    """The PostgreSQL server processes serving the benchmark database."""
    sql = f"SELECT pid FROM pg_stat_activity WHERE datname = '{DB}'"  # noqa: S608 - constant
    return {int(pid) for pid in psql(sql).split()}


def next_xid() -> int:
    """PostgreSQL's next transaction id: the difference counts writing transactions (server-wide;
    read-only ones get none), without waiting for statistics to be flushed."""
    return int(psql("SELECT pg_snapshot_xmax(pg_current_snapshot())"))


def stored() -> dict[str, int]:
    """Rows the acknowledgements stored, counted in SQL from this process."""
    from bench.bare_app import TABLE
    from workflows.models import Execution, Run
    from workflows.models_triggers import DeliveryOutcome, WebhookDelivery

    return {
        "runs": Run.objects.count(),
        "executions": Execution.objects.filter(state="queued").count(),
        "accepted": WebhookDelivery.objects.filter(outcome=DeliveryOutcome.ACCEPTED).count(),
        "bare": int(psql(f"SELECT count(*) FROM {TABLE}", DB)),  # noqa: S608 - constant
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per phase")
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=5, help="threads per gunicorn worker")
    parser.add_argument("--max-seconds", type=float, default=60, help="time cap per phase")
    parser.add_argument("--broker", choices=["orm", "redis"], default="orm")
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    common.fresh_database(DB)
    env = environment(args.broker)
    os.environ.update(env)
    if args.broker == "redis":
        subprocess.run(["redis-cli", "-n", REDIS_DB, "FLUSHDB"], check=True, capture_output=True)
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command
    from django.db import connection

    from bench.bare_app import CREATE

    django.setup()
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(CREATE)
    hook_path, secret = webhook_workflow()
    connection.close()

    n, senders = args.requests, args.senders
    server = Server(env, args.workers, args.threads, out / "webhook_server.log")
    try:

        def run(name: str, path: str, requests: list[Request]) -> Phase:
            before, database = next_xid(), backends()
            server_cpu, database_cpu = cpu_seconds(workers), cpu_seconds(database)
            phase = load(name, server.port, path, requests, senders, args.max_seconds)
            server_after, database_after = cpu_seconds(workers), cpu_seconds(database | backends())
            phase.server_cpu = sum(server_after[p] - server_cpu.get(p, 0) for p in server_after)
            phase.database_cpu = sum(
                database_after[p] - database_cpu.get(p, 0) for p in database_after
            )
            phase.commits = next_xid() - before
            return phase

        # Warm-up, not measured: every worker connects to the database and compiles the version.
        load("warm-up", server.port, "/bench/bare/", deliveries("w", 200, None), senders, 30)
        load("warm-up", server.port, hook_path, deliveries("w", 200, secret), senders, 30)
        workers = server.workers()
        counted = stored()
        bare_1 = run("bare", "/bench/bare/", deliveries("b1", n, None))
        hook = run("webhook", hook_path, deliveries("h", n, secret))
        after_hook = stored()
        bare_2 = run("bare", "/bench/bare/", deliveries("b2", n, None))
        after = stored()
    finally:
        server.stop()
        if args.broker == "redis":
            subprocess.run(
                ["redis-cli", "-n", REDIS_DB, "FLUSHDB"], check=False, capture_output=True
            )

    print(
        f"gunicorn gthread workers={args.workers} threads={args.threads}, {senders} senders "
        f"(keep-alive), {n} requests per phase, broker={args.broker}, PostgreSQL"
    )
    phases = (bare_1, hook, bare_2)
    if not all(phase.latencies for phase in phases):
        sys.exit(f"a phase got no answer: {[e for p in phases for e in p.errors][:5]}")
    print(
        f"{'phase':8} {'done':>5} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} "
        f"{'xacts':>6} {'server':>7} {'pg':>6} {'client':>7}  answered by worker"
    )
    for phase in phases:
        done = len(phase.latencies)
        print(
            f"{phase.name:8} {done:5d} {phase.rate:7.1f} {phase.percentile(50):7.2f} "
            f"{phase.percentile(99):7.2f} {max(phase.latencies) * 1000:7.2f} "
            f"{phase.commits / done:6.2f} {phase.server_cpu * 1000 / done:7.2f} "
            f"{phase.database_cpu * 1000 / done:6.2f} {phase.client_cpu * 1000 / done:7.2f}  "
            f"{'/'.join(str(c) for _, c in sorted(phase.workers.items()))}"
        )
    print(
        "(xacts: writing PostgreSQL transactions per request; server, pg, "
        "client: CPU ms per request of the gunicorn workers, their database backends, this script)"
    )
    baseline = (bare_1.rate + bare_2.rate) / 2
    ratio = hook.rate / baseline
    p99 = hook.percentile(99)
    verdict = "met" if ratio >= 0.5 else "MISSED"
    print(f"ratio webhook / mean(bare): {ratio:.2f}  (goal >= 0.50: {verdict})")
    print(f"webhook p99: {p99:.1f} ms  (goal < 50 ms: {'met' if p99 < 50 else 'MISSED'})")
    runs = after_hook["runs"] - counted["runs"]
    accepted = after_hook["accepted"] - counted["accepted"]
    queued = after_hook["executions"] - counted["executions"]
    bare_rows = after["bare"] - counted["bare"]
    print(
        f"stored: {runs} runs, {queued} queued executions, {accepted} accepted deliveries for "
        f"{hook.statuses[202]} webhook 202s; {bare_rows} bare rows for "
        f"{bare_1.statuses[202] + bare_2.statuses[202]} bare 202s"
    )
    problems = [e for phase in phases for e in phase.errors]
    mismatch = not (runs == accepted == queued == hook.statuses[202])
    mismatch |= bare_rows != bare_1.statuses[202] + bare_2.statuses[202]
    unfinished = [p.name for p in phases if len(p.latencies) < n]
    if problems or mismatch or unfinished:
        print(f"PROBLEM: errors {problems[:5]}, counts differ: {mismatch}, cut short: {unfinished}")
        sys.exit(1)


if __name__ == "__main__":
    main()
