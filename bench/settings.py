"""Settings for bench/webhook_ack.py: the project's own, plus the bare baseline view's route and
a header naming the worker process that answered (to see how the load spread)."""

from idconfluence.settings import *  # noqa: F403
from idconfluence.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
MIDDLEWARE = ["bench.bare_app.worker_header", *MIDDLEWARE]
