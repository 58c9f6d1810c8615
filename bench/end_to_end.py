"""BENCHMARKS.md goal 5: end to end, signed webhook -> `succeeded`, in n8n's shape of work
(webhook -> IF -> Set, history saved) at 10 senders: runs completed per second and the latency
from the delivery's arrival to the run's end, p50/p99, printed beside n8n's figure measured on
this kind of machine (BENCHMARKS.md: ~66 runs/s, p50 146 ms).

    .venv/bin/python bench/end_to_end.py [--requests 2000] [--senders 10] [--broker redis|orm]
        [--web-workers 2] [--threads 5] [--q-workers 2]

It creates (and drops first) the PostgreSQL database idc_bench_e2e on 127.0.0.1, serves the
project with gunicorn and runs a real `qcluster` and `watchdog` (the audit sequencer), all with
production settings. Figures come from the database: each run's `finished_at` against its
delivery's `received_at`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench import common
from bench.engine_throughput import Cluster
from bench.webhook_ack import REDIS_DB, Server, deliveries, load

ROOT = Path(__file__).resolve().parents[1]
DB = "idc_bench_e2e"
N8N_RUNS_PER_SECOND, N8N_P50_MS = 66, 146  # BENCHMARKS.md, webhook -> IF -> Set, 10 senders


def webhook_if_set() -> tuple[str, str]:
    """n8n's shape: a webhook trigger, an IF on a payload field, a Set on each branch."""
    from workflows.models_triggers import WebhookEndpoint
    from workflows.services.triggers import endpoint_path, endpoint_rotate_secret
    from workflows.services.versions import workflow_import

    def set_block(key: str, tag: str) -> dict[str, object]:
        values = {"user": "=event.user", "tag": tag}
        return {"key": key, "kind": "logic", "type": "set", "config": {"values": values}}

    document = {
        "format": "idconfluence.workflow/v1",
        "workflow": {"slug": "bench-e2e", "name": "Bench end to end"},
        "blocks": [
            {
                "key": "start",
                "kind": "trigger",
                "type": "webhook",
                "config": {
                    "mapping": {"user": "=payload.user", "department": "=payload.department"}
                },
            },
            {
                "key": "is_finance",
                "kind": "logic",
                "type": "condition",
                "config": {"expression": "event.department == 'Finance'"},
            },
            set_block("finance", "finance"),
            set_block("other", "other"),
        ],
        "edges": [
            {"from": "start", "to": "is_finance", "outcome": "next"},
            {"from": "is_finance", "to": "finance", "outcome": "true"},
            {"from": "is_finance", "to": "other", "outcome": "false"},
        ],
    }
    workflow = workflow_import(document=document, actor=None, publish=True).workflow
    endpoint = WebhookEndpoint.objects.get(workflow=workflow)
    return endpoint_path(endpoint), endpoint_rotate_secret(endpoint=endpoint, actor=None)


def finished(first_run: int) -> tuple[int, int]:
    """Runs after `first_run` that succeeded, and those that ended otherwise (failed, ...)."""
    from workflows.models import Run

    runs = Run.objects.filter(pk__gt=first_run).exclude(state="running")
    return runs.filter(state="succeeded").count(), runs.exclude(state="succeeded").count()


def latencies(first_run: int) -> tuple[list[float], float]:
    """Per run: delivery received -> run finished (s); and runs/s from the first delivery to
    the last run's end."""
    from workflows.models_triggers import WebhookDelivery

    rows = list(
        WebhookDelivery.objects.filter(run_id__gt=first_run, run__state="succeeded").values_list(
            "received_at", "run__finished_at"
        )
    )
    spans = [(end - start).total_seconds() for start, end in rows]
    elapsed = (max(end for _, end in rows) - min(start for start, _ in rows)).total_seconds()
    return spans, len(rows) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=10)
    parser.add_argument("--broker", choices=["orm", "redis"], default="redis")
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=5)
    parser.add_argument("--q-workers", type=int, default=2)
    args = parser.parse_args()
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    common.fresh_database(DB)
    env = common.environment(
        DB,
        args.broker,
        IDC_Q_WORKERS=str(args.q_workers),
        DJANGO_SETTINGS_MODULE="bench.settings",  # the project plus the probe the server waits on
        DJANGO_SECURE_SSL_REDIRECT="0",
        IDC_WEBHOOK_RATE_PER_MINUTE="100000000",  # counted, never reached
    )
    os.environ.update(env)
    if args.broker == "redis":
        subprocess.run(["redis-cli", "-n", REDIS_DB, "FLUSHDB"], check=True, capture_output=True)
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    hook_path, secret = webhook_if_set()
    connection.close()

    from workflows.models import Run

    web = Server(env, args.web_workers, args.threads, out / "e2e_server.log")
    cluster = Cluster(env, out / "e2e_cluster.log")
    watchdog = subprocess.Popen(
        [sys.executable, "manage.py", "watchdog"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=(out / "e2e_watchdog.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        load("warm-up", web.port, hook_path, deliveries("w", 100, secret), args.senders, 30)
        deadline = time.monotonic() + 60
        while finished(0)[0] < 100 and time.monotonic() < deadline:
            time.sleep(0.1)
        first_run = Run.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        phase = load(
            "e2e", web.port, hook_path, deliveries("m", args.requests, secret), args.senders, 120
        )
        deadline = time.monotonic() + 120
        # every accepted delivery's run has ended (a run still running is in neither count)
        while sum(finished(first_run)) < len(phase.latencies) and time.monotonic() < deadline:
            time.sleep(0.2)
        done, other = finished(first_run)
        other += len(phase.latencies) - done - other  # still running at the deadline
    finally:
        watchdog.terminate()
        cluster.stop()
        web.stop()
        watchdog.wait(10)
    spans, rate = latencies(first_run)
    p50 = statistics.median(spans) * 1000
    p99 = statistics.quantiles(spans, n=100, method="inclusive")[98] * 1000
    print(
        f"webhook -> IF -> Set, {args.senders} senders, {args.requests} deliveries, "
        f"broker={args.broker}, gunicorn {args.web_workers}x{args.threads}, "
        f"{args.q_workers} django-q2 workers, PostgreSQL"
    )
    print(f"{'':14} {'runs/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    print(
        f"{'idconfluence':14} {rate:8.1f} {p50:8.1f} {p99:8.1f}   ({done} succeeded, {other} not)"
    )
    print(f"{'n8n (measured)':14} {N8N_RUNS_PER_SECOND:8.1f} {N8N_P50_MS:8.1f} {'':>8}")
    goal = 5 * N8N_RUNS_PER_SECOND
    verdict = "met" if rate >= goal else "MISSED"
    print(
        f"ratio to n8n: {rate / N8N_RUNS_PER_SECOND:.1f}x  (goal >= 5x, {goal} runs/s: {verdict})"
    )
    print(f"ack: {phase.rate:.1f} req/s, p99 {phase.percentile(99):.1f} ms")


if __name__ == "__main__":
    main()
