"""Refuse a NUL character anywhere in a request's path, query or form fields with a 400 that
says where, before any view hands it to PostgreSQL (which refuses NUL in text: a 500 from any
admin filter or search, the audit API, a login form). The webhook and resume endpoints are left
to their own rule (`idconfluence.intake` for bodies, 404 for an address that names no endpoint,
counted per source), which reads bodies raw."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError

RAW_BODY_PREFIXES = ("/hooks/",)


def _nul_in(where: str, items: Iterable[tuple[str, list[str]]]) -> str | None:
    for key, values in items:
        if "\x00" in key:
            return f"a {where} name holds a NUL character (U+0000)"
        if any("\x00" in value for value in values):
            return f"the {where} {key!r} holds a NUL character (U+0000)"
    return None


def _problem(request: HttpRequest) -> str | None:
    if request.path.startswith(RAW_BODY_PREFIXES):
        return None
    if "\x00" in request.path:
        return "the address holds a NUL character (U+0000)"
    problem = _nul_in("query parameter", request.GET.lists())
    if problem or request.method != "POST":
        return problem
    try:
        return _nul_in("form field", request.POST.lists())
    except MultiPartParserError as exc:
        return f"the form could not be read: {exc}"


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = _problem(request)
        if problem is None:
            return self.get_response(request)
        message = f"{problem}, which is refused: remove it and send again"
        if request.path.startswith("/api/"):
            body = json.dumps({"detail": message})  # the shape of every DRF refusal
            return HttpResponse(body, status=400, content_type="application/json")
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
