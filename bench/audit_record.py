"""What audit.record costs on the hot path: one event per transaction, on PostgreSQL.

Run after bench/audit_filter.py (it reuses the database idc_bench_audit and its million events):
.venv/bin/python bench/audit_record.py. Prints, bare -> measured -> bare, the median time of a
transaction inserting one plain row against one doing the same plus record(), and record_many
of 5 events, as ratios.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ["DATABASE_URL"] = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
os.environ["DATABASE_URL"] += "/idc_bench_audit"
os.environ["DJANGO_SETTINGS_MODULE"] = "idconfluence.settings_test"
sys.path.insert(0, str(ROOT))


def median_ms(func: Any, runs: int = 500) -> float:
    for _ in range(20):
        func()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        func()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples) * 1000


def main() -> None:
    import django

    django.setup()
    from django.db import connection, transaction

    from audit.services import record, record_many

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_plain (id serial, note text)")

    def bare() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_plain (note) VALUES ('x')")

    def audited() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_plain (note) VALUES ('x')")
            record(action="bench.step", details={"n": 1}, workflow_id=1, run_id=2)

    def audited_five() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_plain (note) VALUES ('x')")
            record_many([{"action": "bench.step", "details": {"n": n}} for n in range(5)])

    b1 = median_ms(bare)
    one = median_ms(audited)
    five = median_ms(audited_five)
    base = (b1 + median_ms(bare)) / 2
    print(f"transaction with one insert        {base:6.2f} ms")
    print(f"  + record() of one event          {one:6.2f} ms  {one / base:4.2f}x")
    print(f"  + record_many() of five events   {five:6.2f} ms  {five / base:4.2f}x")


if __name__ == "__main__":
    main()
