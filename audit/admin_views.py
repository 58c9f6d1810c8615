"""Admin pages beyond the event list: streamed evidence downloads (data file plus manifest in
one ZIP) of the filtered events, and a workflow's execution history for a date window.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.template.response import TemplateResponse
from django.utils import timezone

from audit import exports, filters, selectors
from audit.models import AuditEvent

HISTORY_PAGE_RUNS = 200


def viewer_only(
    view: Callable[..., HttpResponseBase], model_admin: Any
) -> Callable[..., HttpResponseBase]:
    """The view, for users with view permission on audit events only (auditors are read-only)."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        return view(request, model_admin, *args, **kwargs)

    return wrapped


def _download(
    stem: str, fmt: str, data: Iterator[bytes], manifest: dict[str, Any]
) -> StreamingHttpResponse:
    if fmt not in exports.FORMATS:
        raise Http404("unknown export format")
    data_file = manifest["data_file"]
    body = exports.zipped(data_file, data, lambda: exports.manifest_bytes(manifest))
    response = StreamingHttpResponse(body, content_type="application/zip")
    # The format is in the name: a CSV and a JSON Lines export of the same minute never clash.
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.{fmt}.zip"'
    return response


def events_download(
    events: QuerySet[AuditEvent], fmt: str, described: dict[str, Any]
) -> StreamingHttpResponse:
    data, manifest = exports.events_export(events, fmt, described, f"audit-events.{fmt}")
    return _download("audit-events", fmt, data, manifest)


def _filter_or_400(request: HttpRequest) -> filters.EventFilter | HttpResponse:
    try:
        return filters.from_request(request)
    except filters.FilterError as error:
        return HttpResponseBadRequest(str(error))


def export(request: HttpRequest, model_admin: Any, fmt: str) -> HttpResponseBase:
    """The events the list shows for the same query string, oldest first, as a ZIP."""
    found = _filter_or_400(request)
    if isinstance(found, HttpResponse):
        return found
    return events_download(found.apply(AuditEvent.objects.all()), fmt, found.describe())


def _history_query(request: HttpRequest) -> tuple[Any, filters.EventFilter]:
    event_filter = filters.from_request(request, with_search=False)
    return selectors.workflow_named(event_filter.workflow or ""), event_filter


def history(request: HttpRequest, model_admin: Any) -> HttpResponse:
    """Pick a workflow and a window; see its runs (the first 200) and download them all."""
    error, runs, workflow = "", [], None
    try:
        workflow, window = _history_query(request)
    except filters.FilterError as problem:
        error, window = str(problem), filters.EventFilter()
    if workflow is not None:
        found = selectors.workflow_history(
            workflow_id=workflow.pk, start=window.start, end=window.end
        )
        runs = list(islice(found, HISTORY_PAGE_RUNS + 1))
    elif request.GET.get("workflow"):
        error = f"no workflow {request.GET['workflow']!r}"
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Execution history",
        "workflow": workflow,
        "runs": runs[:HISTORY_PAGE_RUNS],
        "more": len(runs) > HISTORY_PAGE_RUNS,
        "error": error,
        "values": {k: request.GET.get(k, "") for k in filters.PARAMS},
        "zone": filters.auditor_zone(request).key,
        "presets": filters.PRESETS,
        "query": request.GET.urlencode(),
    }
    return TemplateResponse(request, "admin/audit/auditevent/history.html", context)


def history_export(request: HttpRequest, model_admin: Any, fmt: str) -> HttpResponseBase:
    try:
        workflow, window = _history_query(request)
    except filters.FilterError as problem:
        return HttpResponseBadRequest(str(problem))
    if workflow is None:
        raise Http404("no such workflow")
    data_file = f"history-{workflow.slug}.{fmt}"
    data, manifest = exports.workflow_history_export(workflow, window, fmt, data_file)
    return _download(f"history-{workflow.slug}", fmt, data, manifest)
