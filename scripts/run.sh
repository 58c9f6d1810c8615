#!/usr/bin/env bash
# `make run`: the product on the embedded default (SQLite, django-q2 ORM broker) with demo data,
# the template library and the demo targets on loopback (a SCIM service and an SMTP catcher with
# a page listing mail and group members): web server, task cluster, watchdog and targets
# together; Ctrl-C stops all four. Running it again keeps the database and queues nothing new.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
ENV_FILE=${IDC_DOTENV:-.env}
export IDC_DOTENV=$ENV_FILE

if [ ! -f "$ENV_FILE" ]; then
  echo "creating $ENV_FILE (local development settings, git-ignored)"
  $PY - <<'PYEOF' > "$ENV_FILE"
import secrets
from cryptography.fernet import Fernet
print("DJANGO_DEBUG=1")
print(f"DJANGO_SECRET_KEY={secrets.token_urlsafe(50)}")
print(f"IDC_ENCRYPTION_KEYS={Fernet.generate_key().decode()}")
print(f"IDC_DEMO_ADMIN_PASSWORD={secrets.token_urlsafe(12)}")
print(f"IDC_DEMO_SCIM_TOKEN={secrets.token_urlsafe(24)}")
PYEOF
fi
if ! grep -q '^IDC_DEMO_SCIM_TOKEN=' "$ENV_FILE"; then  # a .env from before the demo targets
  echo "IDC_DEMO_SCIM_TOKEN=$($PY -c 'import secrets; print(secrets.token_urlsafe(24))')" >> "$ENV_FILE"
fi
unset DATABASE_URL REDIS_URL
export DJANGO_SETTINGS_MODULE=idconfluence.settings
PORT=${PORT:-8000}
export IDC_DEMO_SCIM_PORT=${IDC_DEMO_SCIM_PORT:-8030}
export IDC_DEMO_SMTP_PORT=${IDC_DEMO_SMTP_PORT:-8025}
export IDC_DEMO_PAGE_PORT=${IDC_DEMO_PAGE_PORT:-8026}
# Approval emails go to the demo's SMTP catcher, their links back to this server.
export EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend
export EMAIL_HOST=127.0.0.1 EMAIL_PORT=$IDC_DEMO_SMTP_PORT
export IDC_PUBLIC_URL=http://127.0.0.1:$PORT

$PY manage.py migrate --noinput
$PY manage.py load_demo --targets --url "http://127.0.0.1:$PORT/admin/"

# Each service runs in its own process group, so stopping it reaches the cluster's workers too:
# one SIGTERM, then SIGKILL after a grace period (a second SIGTERM can wedge django-q2).
# A service that exits is restarted after a short delay (doubling, up to 30 s, while it keeps
# exiting within 10 s of its start); Ctrl-C or TERM stops all of them.
SERVICES=(targets qcluster watchdog web)
declare -A pid started delay restart_at

start() {
  case $1 in
    targets) setsid $PY manage.py demo_targets & ;;
    qcluster) setsid $PY manage.py qcluster & ;;
    watchdog) setsid $PY manage.py watchdog & ;;
    web) setsid $PY manage.py runserver --noreload "127.0.0.1:$PORT" & ;;
  esac
  pid[$1]=$!
  started[$1]=$SECONDS
  restart_at[$1]=""
}

cleanup() {
  trap - INT TERM HUP EXIT
  echo "stopping"
  for p in "${pid[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  sleep 3
  for p in "${pid[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
trap 'cleanup; exit 129' HUP
trap cleanup EXIT

for name in "${SERVICES[@]}"; do
  delay[$name]=1
  start "$name"
done
# The lines below are what a newcomer copies: print them once the web server and the demo
# page answer, so the first command sent finds them listening.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 120); do
  listening "$PORT" && listening "$IDC_DEMO_PAGE_PORT" && break
  sleep 0.5
done
echo "serving http://127.0.0.1:$PORT/admin/ (Ctrl-C stops web, cluster, watchdog and targets)"
echo "demo mail and SCIM groups: http://127.0.0.1:$IDC_DEMO_PAGE_PORT/"
SEND=".venv/bin/python manage.py send_sample joiner"
[ "$PORT" = 8000 ] || SEND="$SEND --url http://127.0.0.1:$PORT"
[ "$ENV_FILE" = .env ] || SEND="IDC_DOTENV=$ENV_FILE $SEND"
[ -z "${SQLITE_PATH:-}" ] || SEND="SQLITE_PATH=$SQLITE_PATH $SEND"
echo "fire the joiner webhook (a signed Workday hire): $SEND"
echo "  or print it as one curl line: $SEND --curl"

while true; do
  for name in "${SERVICES[@]}"; do
    if [ -n "${restart_at[$name]}" ]; then
      if [ "$SECONDS" -ge "${restart_at[$name]}" ]; then
        kill -KILL -- "-${pid[$name]}" 2>/dev/null || true  # what is left of its group
        start "$name"
      fi
    elif ! kill -0 "${pid[$name]}" 2>/dev/null; then
      rc=0
      wait "${pid[$name]}" || rc=$?
      if [ $((SECONDS - started[$name])) -lt 10 ]; then
        delay[$name]=$((delay[$name] * 2 > 30 ? 30 : delay[$name] * 2))
      else
        delay[$name]=1
      fi
      echo "restarting $name (exit $rc) in ${delay[$name]} s"
      kill -TERM -- "-${pid[$name]}" 2>/dev/null || true  # e.g. the workers of a killed cluster
      restart_at[$name]=$((SECONDS + delay[$name]))
    fi
  done
  sleep 1 &
  wait $! || true
done
