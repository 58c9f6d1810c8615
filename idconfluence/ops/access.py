"""Who may read `/readyz` and `/metrics`: a scraper that sends `Authorization: Bearer
<IDC_METRICS_TOKEN>`, or one whose address is in IDC_METRICS_ALLOWED_NETWORKS. Neither set: no
one (behind a proxy on the same host every client looks local, so there is no loopback default)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse, JsonResponse

from idconfluence.conf import idc_settings


def allowed(request: HttpRequest) -> bool:
    token = idc_settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer "):
        return hmac.compare_digest(sent.removeprefix("Bearer ").strip().encode(), token.encode())
    networks = idc_settings.METRICS_ALLOWED_NETWORKS
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)


def scrapers_only(view: Callable[[HttpRequest], HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        if not allowed(request):
            message = (
                "send Authorization: Bearer <IDC_METRICS_TOKEN>, "
                "or come from IDC_METRICS_ALLOWED_NETWORKS"
            )
            return JsonResponse({"status": "refused", "error": message}, status=403)
        return view(request)

    return wrapper
