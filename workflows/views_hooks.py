"""HTTP endpoints for outside systems: webhook deliveries (`/hooks/<token>/`) and resume callbacks
(`/hooks/resume/<token>/`). CSRF-exempt because a signature or a signed token authenticates them,
not a session; they only gather the request's input and call the services."""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from idconfluence.intake import IntakeError, parse_json
from workflows.services.triggers import ResumeRefused, callback_resume
from workflows.services.webhooks import webhook_receive
from workflows.triggers.body import BodyLengthRequired, BodyTooLarge, read_limited

CALLBACK_MAX_BYTES = 64 * 1024


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, token: str) -> JsonResponse:
    answer = webhook_receive(
        token=token,
        headers={name.lower(): value for name, value in request.headers.items()},
        remote_addr=_remote_addr(request),
        read_body=lambda limit: read_limited(request, limit),
    )
    return JsonResponse(answer.body, status=answer.status, headers=answer.headers or None)


@csrf_exempt
@require_POST
def resume(request: HttpRequest, token: str) -> JsonResponse:
    """Body (optional, JSON): {"outcome": "...", "payload": {...}}; the token may name the
    outcome, and then a bare POST (any other content type) is enough."""
    if not (token.isascii() and token.isprintable()):  # %00 or non-ASCII: no such link
        return _refused(404, "this callback link is not valid")
    try:
        body = read_limited(request, CALLBACK_MAX_BYTES)
        media_type = request.content_type or ""
        is_json = media_type == "application/json" or media_type.endswith("+json")
        data = parse_json(body) if is_json and body.strip() else {}
    except BodyTooLarge as exc:
        return _refused(413, str(exc))
    except BodyLengthRequired as exc:
        return _refused(411, str(exc))
    except IntakeError as exc:
        return JsonResponse({"status": "refused", **exc.as_dict()}, status=400)
    if not isinstance(data, dict) or not isinstance(data.get("payload", {}), dict):
        return _refused(400, 'send {"outcome": "...", "payload": {...}}')
    try:
        execution = callback_resume(
            token=token, outcome=str(data.get("outcome") or ""), payload=data.get("payload")
        )
    except ResumeRefused as exc:
        return _refused(exc.status, str(exc))
    answer = {"status": "resumed", "run": execution.run_id, "execution": execution.pk}
    return JsonResponse(answer, status=202)


def _refused(status: int, message: str) -> JsonResponse:
    return JsonResponse({"status": "refused", "error": message}, status=status)


def _remote_addr(request: HttpRequest) -> str | None:
    try:
        return str(ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")))
    except ValueError:
        return None
