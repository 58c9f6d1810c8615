#!/usr/bin/env bash
# `make bench`: every benchmark under bench/, each printing ratios against its in-run baseline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh
PY=.venv/bin/python
echo "== goals 0 and 1: engine throughput and commits per execution"
$PY bench/engine_throughput.py --tasks "${BENCH_TASKS:-1000}"
echo "== goal 2: webhook acknowledgement"
$PY bench/webhook_ack.py
echo "== goal 4: audit date-range filter and export over 1,000,000 events"
$PY bench/audit_filter.py
