"""The emailed-link pages (`/a/<token>`): GET shows the request and its decision buttons, only a
POST with its CSRF token decides. No script runs on the page, so a mail scanner that fetches
links (and runs scripts) changes nothing; a used, expired, escalated or cancelled link shows
what happened."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from approvals.services.deciding import (
    DecisionRefused,
    SignInRequired,
    link_find,
    link_opened_without_sign_in,
    task_decide,
)
from approvals.services.deciding import why_closed as _why_closed

PAGE = "approvals/task.html"


def _page(request: HttpRequest, status: int = 200, **context: object) -> HttpResponse:
    response = render(request, PAGE, context, status=status)
    response["Cache-Control"] = "no-store"
    # The token must never leave in a Referer: no link or resource on the page points elsewhere,
    # and `same-origin` sends none cross-origin. Not `no-referrer`: with it Chromium posts the
    # form with `Origin: null`, which Django's CSRF check refuses (found by the browser test).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def task_page(request: HttpRequest, token: str) -> HttpResponse:
    found = link_find(token=token)
    if found is None:
        return _page(request, 404, invalid=True)
    task, link = found.task, found.link
    message, status = "", 200
    if request.method == "POST":
        try:
            task = task_decide(
                token=token,
                outcome=str(request.POST.get("outcome", "")),
                comment=str(request.POST.get("comment", "")),
                user=request.user,
                request=request,
                fields={
                    k.removeprefix("field_"): v
                    for k, v in request.POST.items()
                    if k.startswith("field_")
                },
            )
            message = f"Thank you: recorded as {task.decision}."
        except SignInRequired as exc:
            message, status = str(exc), 403
        except DecisionRefused as exc:
            message, status = str(exc), 409
        task.refresh_from_db()
        link.refresh_from_db()
    closed = _why_closed(task, link)
    needs_sign_in = task.require_sign_in and not (
        request.user.is_authenticated and (request.user.email or "").lower() == link.email.lower()
    )
    if needs_sign_in and request.method == "GET":
        link_opened_without_sign_in(found=found, user=request.user, request=request)
    return _page(
        request,
        status,
        task=task,
        link=link,
        closed=closed,
        message=message,
        needs_sign_in=needs_sign_in,
        sign_in_url=f"{reverse('admin:login')}?next={request.path}",
        event=json.dumps(task.run.context.get("event", {}), indent=2, sort_keys=True)[:20000],
    )
