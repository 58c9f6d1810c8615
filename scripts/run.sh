#!/usr/bin/env bash
# `make run`: the product on the embedded default (SQLite, django-q2 ORM broker) with demo data:
# web server, task cluster and watchdog together; Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

if [ ! -f .env ]; then
  echo "creating .env (local development settings, git-ignored)"
  $PY - <<'PYEOF' > .env
import secrets
from cryptography.fernet import Fernet
print("DJANGO_DEBUG=1")
print(f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"IDC_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
print(f"IDC_DEMO_ADMIN_PASSWORD={secrets.token_urlsafe(12)}")
PYEOF
fi
unset DATABASE_URL REDIS_URL
export DJANGO_SETTINGS_MODULE=idconfluence.settings

$PY manage.py migrate --noinput
$PY manage.py load_demo --url "http://127.0.0.1:${PORT:-8000}/admin/"

# Each service runs in its own process group, so stopping it reaches the cluster's workers too:
# one SIGTERM, then SIGKILL after a grace period (a second SIGTERM can wedge django-q2).
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "stopping"
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  sleep 3
  for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT HUP

setsid $PY manage.py qcluster & pids+=($!)
setsid $PY manage.py watchdog & pids+=($!)
setsid $PY manage.py runserver --noreload "127.0.0.1:${PORT:-8000}" & pids+=($!)
echo "serving http://127.0.0.1:${PORT:-8000}/admin/ (Ctrl-C stops web, cluster and watchdog)"
wait -n
