"""Benchmark goal 4: the audit date-range filter and export over a million events on PostgreSQL.

Run: .venv/bin/python bench/audit_filter.py [--events 1000000] [--reuse]
It creates (or, with --reuse, keeps) the database idc_bench_audit, loads a valid hash chain with
COPY, then times, bare -> measured -> bare as BENCHMARKS.md asks: the admin's filtered list page
(test client, superuser) against a bare indexed query and a bare one-query Django page, and a
30-day export against a bare server-side-cursor read of the same rows, with peak memory.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
import tracemalloc
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = "idc_bench_audit"
ACTIONS = [f"{noun}.{verb}" for noun in ("run", "execution", "step", "workflow", "admin")
           for verb in ("started", "succeeded", "failed", "changed")]  # fmt: skip
COLUMNS = (
    "seq", "occurred_at", "actor_id", "actor_kind", "actor_label", "action", "target_type",
    "target_id", "target_label", "workflow_id", "run_id", "execution_id", "details",
    "ip_address", "user_agent", "prev_hash", "hash",
)  # fmt: skip


def setup_django(reuse: bool) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB,)).fetchone()
        if exists and not reuse:
            admin.execute(f"DROP DATABASE {DB} WITH (FORCE)")
        if not exists or not reuse:
            admin.execute(f"CREATE DATABASE {DB}")
    os.environ["DATABASE_URL"] = f"{SERVER}/{DB}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "idconfluence.settings_test"
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def load(count: int) -> float:
    """COPY `count` chained events spread over the last 365 days; returns seconds taken."""
    from audit.chain import GENESIS_HASH, canonical

    began = time.perf_counter()
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / count
    prev = GENESIS_HASH
    with psycopg.connect(f"{SERVER}/{DB}") as conn, conn.cursor() as cur:
        with cur.copy(f"COPY audit_auditevent ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for seq in range(1, count + 1):
                when = start + step * seq
                n = seq % 997
                content = {
                    "seq": seq, "occurred_at": when.isoformat(timespec="microseconds"),
                    "actor_id": None, "actor_kind": "system", "actor_label": f"user{n % 50}",
                    "action": ACTIONS[n % len(ACTIONS)], "target_type": "workflows.run",
                    "target_id": str(seq // 4), "target_label": f"run {seq // 4}",
                    "workflow_id": n % 30, "run_id": seq // 4, "execution_id": seq // 4,
                    "details": {"n": n, "block": "grant"}, "ip_address": None,
                    "user_agent": "", "prev_hash": prev,
                }  # fmt: skip
                digest = hashlib.sha256(canonical(content)).hexdigest()
                row = [content[c] for c in COLUMNS[:-1]] + [digest]
                row[1], row[12] = when, psycopg.types.json.Jsonb(content["details"])
                copy.write_row(row)
                prev = digest
        cur.execute(
            "INSERT INTO audit_auditchainhead (id, seq, hash, occurred_at) VALUES (1, %s, %s, %s)",
            (count, prev, start + step * count),
        )
    with psycopg.connect(f"{SERVER}/{DB}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE audit_auditevent")
    return time.perf_counter() - began


def timed(func: Any, runs: int = 9) -> float:
    """Median seconds of `runs` calls after two warm-up calls."""
    func(), func()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        func()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def bare_urls() -> str:
    """A urlconf with the admin plus a bare page: one indexed query, a minimal template."""
    from django.contrib import admin
    from django.http import HttpResponse
    from django.template import engines
    from django.urls import include, path

    from audit.models import AuditEvent

    page = engines["django"].from_string(
        "<table>{% for e in rows %}<tr><td>{{ e.seq }}</td><td>{{ e.occurred_at }}</td>"
        "<td>{{ e.actor_label }}</td><td>{{ e.action }}</td><td>{{ e.target_label }}</td>"
        "</tr>{% endfor %}</table>"
    )

    def bare(request: Any) -> HttpResponse:
        start = datetime.fromisoformat(request.GET["start"])
        end = datetime.fromisoformat(request.GET["end"])
        rows = AuditEvent.objects.filter(occurred_at__gte=start, occurred_at__lt=end)[:100]
        return HttpResponse(page.render({"rows": rows}))

    module = types.ModuleType("audit_bench_urls")
    module.urlpatterns = [  # type: ignore[attr-defined]
        path("bare/", bare),
        path("admin/", admin.site.urls),
        path("api/audit/", include("audit.api_urls")),
    ]
    sys.modules[module.__name__] = module
    return module.__name__


def measure() -> dict[str, float]:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import clear_url_caches

    from audit import exports, filters
    from audit.chain import verify_chain
    from audit.models import AuditEvent

    settings.ROOT_URLCONF = bare_urls()
    clear_url_caches()
    user_model = get_user_model()
    root = user_model.objects.filter(username="bench").first()
    root = root or user_model.objects.create_superuser("bench", "b@example.com", "pw-bench-1")
    client = Client()
    client.force_login(root)
    today = datetime.now(UTC).date()
    first, last = today - timedelta(days=60), today - timedelta(days=31)  # 30 days, inclusive
    query = {"from": first.isoformat(), "to": last.isoformat(), "tz": "UTC"}
    window = filters.parse(query, filters.zone_named("UTC"))  # type: ignore[arg-type]
    bounds = {"start": window.start.isoformat(), "end": window.end.isoformat()}  # type: ignore[union-attr]
    sql = (
        "SELECT * FROM audit_auditevent WHERE occurred_at >= %s AND occurred_at < %s "
        "ORDER BY occurred_at DESC, seq DESC LIMIT 100"
    )

    def bare_query() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, (window.start, window.end))
            cursor.fetchall()

    def get(url: str, params: dict[str, str]) -> None:
        response = client.get(url, params)
        assert response.status_code == 200, response.status_code

    def export(fmt: str = "jsonl") -> None:
        data, _ = exports.events_export(window.apply(AuditEvent.objects.all()), fmt, {}, "x")
        for _chunk in data:
            pass

    def download(params: dict[str, str]) -> None:
        response = client.get("/admin/audit/auditevent/export/jsonl/", params)
        for _chunk in response.streaming_content:
            pass

    def bare_read() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT * FROM audit_auditevent WHERE occurred_at >= %s AND occurred_at < %s "
                "ORDER BY seq", (window.start, window.end),
            )  # fmt: skip
            while cursor.fetchmany(2000):
                pass

    figures: dict[str, float] = {}
    b1 = timed(bare_query)
    figures["admin page, 30-day window"] = timed(lambda: get("/admin/audit/auditevent/", query))
    figures["admin page, 30-day window + action"] = timed(
        lambda: get("/admin/audit/auditevent/", {**query, "action": "run.failed"})
    )
    figures["admin page, no filter"] = timed(lambda: get("/admin/audit/auditevent/", {}))
    rows = window.apply(AuditEvent.objects.all()).count()
    deep = str(max(1, min(50, rows // 100)))
    figures[f"admin page {deep} of the window"] = timed(
        lambda: get("/admin/audit/auditevent/", {**query, "p": deep})
    )
    figures["admin page, 30-day window + text search"] = timed(
        lambda: get("/admin/audit/auditevent/", {**query, "q": "run 4242"})
    )
    figures["api page, 30-day window"] = timed(lambda: get("/api/audit/events/", query))
    figures["bare one-query Django page"] = timed(lambda: get("/bare/", bounds))
    figures["bare indexed query (100 rows)"] = (b1 + timed(bare_query)) / 2
    r1 = timed(bare_read, runs=3)
    figures["export 30 days, JSONL"] = timed(export, runs=3)
    figures["export 30 days, CSV"] = timed(lambda: export("csv"), runs=3)
    figures["export 30 days, admin ZIP (JSONL)"] = timed(lambda: download(query), runs=3)
    figures["export 30 days, verify the window"] = timed(
        lambda: verify_chain(start=window.start, end=window.end), runs=3
    )
    figures["bare read of the 30 days"] = (r1 + timed(bare_read, runs=3)) / 2
    figures["rows in the window"] = rows
    figures.update(peak_memory(window))
    return figures


def peak_memory(window: Any) -> dict[str, float]:
    """tracemalloc peaks of 30-day and 90-day exports: constant memory means they match."""
    from audit import exports, filters
    from audit.models import AuditEvent

    peaks = {}
    for days in (30, 90):
        end = window.end
        span = filters.EventFilter(start=end - timedelta(days=days), end=end)
        tracemalloc.start()
        events = span.apply(AuditEvent.objects.all())
        data, manifest = exports.events_export(events, "jsonl", {}, "x")
        for _ in data:
            pass
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        peaks[f"peak MiB, {days}-day export ({manifest['count']} rows)"] = peak / 2**20
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    args = parser.parse_args()
    setup_django(args.reuse)
    from audit.models import AuditEvent

    if not (args.reuse and AuditEvent.objects.exists()):
        print(f"loaded {args.events:,} events with COPY in {load(args.events):.1f} s")
    figures = measure()
    bare_sql = figures["bare indexed query (100 rows)"]
    bare_page = figures["bare one-query Django page"]
    del figures["bare one-query Django page"], figures["bare indexed query (100 rows)"]
    figures = {"bare indexed query (100 rows)": bare_sql, "bare one-query Django page": bare_page,
               **figures}  # fmt: skip
    bare_read = figures["bare read of the 30 days"]
    print(f"{'measure':45} {'value':>10}  ratios")
    for name, value in figures.items():
        if name.startswith(("peak", "rows")):
            print(f"{name:45} {value:>10.1f}")
            continue
        ratio = ""
        if name.startswith(("admin", "api")):
            ratio = f"{value / bare_sql:6.1f}x bare query  {value / bare_page:4.1f}x bare page"
        elif name.startswith("export"):
            ratio = f"{value / bare_read:6.1f}x bare read"
        print(f"{name:45} {value * 1000:>8.1f}ms  {ratio}")


if __name__ == "__main__":
    main()
