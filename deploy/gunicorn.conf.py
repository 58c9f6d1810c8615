"""gunicorn settings for the web process (`gunicorn -c deploy/gunicorn.conf.py`), from the
environment like the Django settings: threads share one connection pool per process."""

import os

wsgi_app = "idconfluence.wsgi:application"
bind = os.environ.get("IDC_WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("IDC_WEB_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("IDC_WEB_THREADS", "8"))
# A webhook is acknowledged once stored (milliseconds); anything slower is a stuck request.
timeout = int(os.environ.get("IDC_WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = 5000  # recycle a worker now and then; jitter so they do not all restart at once
max_requests_jitter = 500
# Django's LOGGING writes the application's lines (JSON in production); gunicorn's access log
# would only repeat them without the request id, so it stays off and errors go to stderr.
accesslog = None
errorlog = "-"
forwarded_allow_ips = os.environ.get("IDC_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server: object, worker: object) -> None:
    """With PROMETHEUS_MULTIPROC_DIR set (an empty directory per host, wiped at start), /metrics
    merges every worker's request metrics; a dead worker's gauges are dropped here."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined,no-untyped-call]
