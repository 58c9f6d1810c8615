#!/usr/bin/env bash
# The whole suite: everything on PostgreSQL, then the fast core (no real servers) on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/services.sh

PY=.venv/bin/python
echo "== lint: ruff, import contracts (the engine stays plain Python), mypy"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/lint-imports
.venv/bin/mypy .

echo "== builder: npm ci, Vitest, build; the committed bundle must match its source"
bash scripts/builder_check.sh

export DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
echo "== suite on PostgreSQL"
$PY -m pytest "$@"

echo "== fast core on SQLite"
DATABASE_URL= $PY -m pytest -m "not postgres and not cluster and not servers and not browser" -q "$@"
