"""Request ids and overload answers.

`OverloadMiddleware`: when the database refuses (too many clients, the pool's timeout, a server
restarting) the answer is 503 with Retry-After, so a sender retries instead of counting a
failure; JSON for machines (webhooks, the API, probes), text for people. `views.server_error`
gives the same answer when the error escapes a view's reach (handler500).

`RequestIdMiddleware` gives every request an id for its log lines (an incoming X-Request-ID
from the proxy is kept when it looks like one: 1-128 of letters, digits and `._:-`), returns it
in the response, and logs one line per request with its route (the pattern, so the token of a
webhook address is never written), status and duration.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from idconfluence.conf import idc_settings
from idconfluence.ops.logs import log_context
from idconfluence.redaction import redact_text

logger = logging.getLogger("idconfluence.request")
HEADER = "X-Request-ID"
SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return f"/{match.route}" if match is not None and match.route else "(unresolved)"


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if SANE_ID.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.monotonic()
        with log_context(request_id=request_id):
            response = self.get_response(request)
            logger.info(
                "%s %s %s",
                request.method,
                _route(request),
                response.status_code,
                extra={
                    "method": request.method,
                    "route": _route(request),
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
        response[HEADER] = request_id
        return response


MACHINE_PREFIXES = ("/hooks/", "/api/", "/healthz", "/readyz", "/metrics")


def overloaded(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """503 with Retry-After for a database that refused; logged as one line, no traceback."""
    first = (str(exc).strip().splitlines() or [""])[0]
    logger.warning("database unavailable, answered 503: %s", redact_text(first))
    retry = str(idc_settings.OVERLOAD_RETRY_AFTER_SECONDS)
    message = "the database is busy or unavailable: try again later"
    if request.path.startswith(MACHINE_PREFIXES):
        body = {"status": "refused", "error": message, "retry_after": int(retry)}
        return JsonResponse(body, status=503, headers={"Retry-After": retry})
    return HttpResponse(
        message,
        status=503,
        content_type="text/plain; charset=utf-8",
        headers={"Retry-After": retry},
    )


class OverloadMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        return overloaded(request, exc) if isinstance(exc, OperationalError) else None
