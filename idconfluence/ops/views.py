"""`/healthz` (the process answers: no database, no authentication), `/readyz` (every check of
`health.CHECKS`, or those named by `?check=a,b`) and `/metrics` (Prometheus text)."""

from __future__ import annotations

import sys

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from idconfluence.ops import health
from idconfluence.ops.access import scrapers_only
from idconfluence.ops.middleware import overloaded

READY_STATUS = {"ok": "ready", "degraded": "degraded", "failing": "not ready"}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
@scrapers_only
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when ready or only degraded (still serving: a degraded queue is not a reason to take
    the web out of the load balancer), 503 when a check fails."""
    names = [n.strip() for n in request.GET.get("check", "").split(",") if n.strip()]
    unknown = sorted(set(names) - set(health.CHECKS))
    if unknown:
        known = ", ".join(health.CHECKS)
        error = f"no such check: {', '.join(unknown)} (there are: {known})"
        return JsonResponse({"status": "refused", "error": error}, status=400)
    results = health.run_checks(names)
    status = health.overall(results)
    body = {
        "status": READY_STATUS[status],
        "checks": {n: {"status": c.status, "message": c.message} for n, c in results.items()},
    }
    return JsonResponse(body, status=503 if status == "failing" else 200)


@never_cache
@require_GET
@scrapers_only
def metrics(request: HttpRequest) -> HttpResponse:
    from idconfluence.ops.metrics import exposition

    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: an OperationalError raised outside a view (a middleware saving a session)
    is an overload like any other; everything else is Django's 500 page."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError):
        return overloaded(request, exc)
    return defaults.server_error(request)
