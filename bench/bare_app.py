"""The baseline of BENCHMARKS.md goal 2: a minimal view storing each POST with one INSERT into a
small table (created by bench/webhook_ack.py), answered 202 like an accepted webhook."""

from __future__ import annotations

import os
from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

TABLE = "bench_bare_delivery"
CREATE = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    id bigserial PRIMARY KEY,
    received_at timestamptz NOT NULL DEFAULT now(),
    event_key varchar(255) NOT NULL,
    body jsonb NOT NULL
)"""


@csrf_exempt
@require_POST
def bare(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (event_key, body) VALUES (%s, %s) RETURNING id",  # noqa: S608
            [request.headers.get("webhook-id", ""), request.body.decode()],
        )
        (pk,) = cursor.fetchone()
    return JsonResponse({"status": "accepted", "id": pk}, status=202)


def worker_header(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """Middleware: which worker process answered, to see how the senders' connections spread."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response["X-Bench-Worker"] = str(os.getpid())
        return response

    return middleware
