"""Finding runs by the person or event they concern: the run list's search box reads the run's
input (userName, email, worker id, event id) besides the workflow and the trigger reference."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from workflows.run_subjects import runs_concerning

SEARCH_HELP = "A userName, email, worker id or event id from the run's input, or a workflow slug"


class RunSearch:
    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        found, duplicates = super().get_search_results(  # type: ignore[misc]
            request, queryset, search_term
        )
        if search_term.strip():
            found = found | runs_concerning(queryset, search_term)
        return found, duplicates
