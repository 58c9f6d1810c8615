"""The auditors' console: a read-only, fast list of audit events with date-range filters, and
links to streamed evidence exports and per-workflow execution histories.

Fast on a million rows: filters map to the composite indexes on the model, the paginator
counts at most CAP rows instead of the whole table, and facets are off.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html

from audit import admin_views, filters
from audit.chain import ROW_FIELDS
from audit.models import AuditEvent
from idconfluence.admin_base import ReadOnlyAdmin


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """Counts at most CAP + 1 rows: enough to draw the page links, never a full COUNT(*)."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()  # type: ignore[attr-defined,no-any-return]

    @property
    def capped(self) -> bool:
        return self.count > self.CAP


class EventFilterForm(admin.ListFilter):
    """All of audit/filters.py's parameters as one form in the sidebar."""

    title = "date range and fields"
    template = "admin/audit/auditevent/filter_form.html"
    presets = filters.PRESETS

    def __init__(self, request: HttpRequest, params: dict[str, Any], *args: Any) -> None:
        super().__init__(request, params, *args)
        for name in filters.PARAMS:
            if name in params:
                self.used_parameters[name] = params.pop(name)[-1]
        self.zone = filters.auditor_zone(request)
        self.values = {name: self.used_parameters.get(name, "") for name in filters.PARAMS}
        self.values["tz"] = self.values["tz"] or self.zone.key
        self.kept = {k: request.GET[k] for k in ("q", "o") if request.GET.get(k)}
        self.zones = filters.zone_names()
        # A filter that cannot be understood shows no events and says why, on the page: showing
        # every event instead would pass for an answer to the question asked.
        self.error = ""
        self.event_filter: filters.EventFilter | None = None
        try:
            self.event_filter = filters.parse(self.used_parameters, self.zone)
        except filters.FilterError as error:
            self.error = str(error)

    def has_output(self) -> bool:
        return True

    def choices(self, changelist: Any) -> Iterator[Any]:
        return iter(())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.event_filter is None:
            return queryset.none()
        return self.event_filter.apply(queryset)

    def expected_parameters(self) -> list[str | None]:
        return list(filters.PARAMS)


def _in_auditor_zone(request: HttpRequest, view: Any, *args: Any, **kwargs: Any) -> HttpResponse:
    """Show times, and read days, in the auditor's zone; render before leaving it."""
    with timezone.override(filters.auditor_zone(request)):
        response: HttpResponse = view(*args, **kwargs)
        if hasattr(response, "render"):
            response.render()
    return response


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    # The list itself is drawn by audit/templates/admin/audit/auditevent/change_list.html.
    list_display = ["seq", "when", "actor_label", "action", "target_label", "workflow_id", "run_id"]
    list_display_links = ["seq"]
    list_filter = [EventFilterForm]
    search_fields = ["action", "actor_label", "target_label", "target_id"]
    search_help_text = "Text in the action, actor, target name or target id"
    list_per_page = 100
    list_max_show_all = 200
    paginator = CappedPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    sortable_by = ()
    # No actions: their checkbox column cost a third of the page; exports follow the filters.
    actions = None
    # Every stored field, times in the auditor's zone and details laid out.
    readonly_fields = tuple(
        {"occurred_at": "when", "details": "pretty_details"}.get(f, f) for f in ROW_FIELDS
    )
    fields = readonly_fields

    @admin.display(description="time", ordering="occurred_at")
    def when(self, event: AuditEvent) -> str:
        local = timezone.localtime(event.occurred_at)
        return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"

    @admin.display(description="details")
    def pretty_details(self, event: AuditEvent) -> str:
        text = json.dumps(event.details, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html("<pre>{}</pre>", text)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        # One meaning of `q` everywhere: the API and exports apply the same filter.
        search = filters.EventFilter(q=search_term.strip())
        return search.apply(queryset), False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return _in_auditor_zone(request, super().changelist_view, request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kw: Any) -> Any:
        return _in_auditor_zone(request, super().change_view, request, object_id, *args, **kw)

    def get_urls(self) -> list[URLPattern]:
        def view(func: Any) -> Any:
            return self.admin_site.admin_view(admin_views.viewer_only(func, self))

        return [
            path("export/<str:fmt>/", view(admin_views.export), name="audit_auditevent_export"),
            path("history/", view(admin_views.history), name="audit_auditevent_history"),
            path(
                "history/export/<str:fmt>/",
                view(admin_views.history_export),
                name="audit_auditevent_history_export",
            ),
            *super().get_urls(),
        ]
