"""Every refusal of the API is JSON with a message: {"detail": "..."} (plus "errors" by field or
block where there are several), whatever raised it: DRF, Django, or a service's own refusal."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from approvals.services.deciding import DecisionRefused
from workflows.documents import DocumentError
from workflows.models import FrozenVersionError
from workflows.services.creating import WorkflowExists
from workflows.services.runs import NotRetryable, NotRunnable
from workflows.services.versions import DraftExists, PublishRefused

# A service's refusal and the HTTP status it means: the state moved on (409) or the input is wrong.
CONFLICTS: tuple[type[Exception], ...] = (
    NotRetryable,
    NotRunnable,
    FrozenVersionError,
    DraftExists,
    DecisionRefused,
    WorkflowExists,
)


def _summary(errors: Any) -> str:
    """The first message of a DRF error structure, prefixed by where it is."""
    if isinstance(errors, dict):
        for key, value in errors.items():
            inner = _summary(value)
            return inner if key in ("detail", "non_field_errors") else f"{key}: {inner}"
    if isinstance(errors, list) and errors:
        return _summary(errors[0])
    return str(errors)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, PublishRefused):
        return Response(
            {"detail": str(exc), "errors": exc.by_block()}, status=status.HTTP_400_BAD_REQUEST
        )
    if isinstance(exc, DocumentError):
        return Response(
            {"detail": str(exc), "errors": {"document": exc.errors}},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, CONFLICTS):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError({"detail": exc.messages})
    elif isinstance(exc, PermissionDenied) and not isinstance(exc, exceptions.PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError) and not (
        isinstance(response.data, dict) and set(response.data) == {"detail"}
    ):
        response.data = {"detail": _summary(response.data), "errors": response.data}
    elif isinstance(response.data, dict) and isinstance(response.data.get("detail"), list):
        response.data = {"detail": _summary(response.data)}
    return response


@csrf_exempt  # it changes nothing: a POST to a wrong address is a JSON 404, not a CSRF page
def api_not_found(request: Any, path: str = "") -> JsonResponse:
    """Any /api/v1/ address no route takes (a malformed id, a typo): a JSON 404 like every
    other refusal of the API, not Django's HTML page."""
    return JsonResponse(
        {"detail": f"No API endpoint at {request.path!r}; see /api/v1/schema/."}, status=404
    )
