"""Request ids and overload answers.

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

from django.http import HttpRequest, HttpResponse

from idconfluence.ops.logs import log_context

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
