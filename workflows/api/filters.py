"""The filters of the runs and executions lists (django-filter: declared, so they are in the
schema; a value that does not parse is a 400 naming the parameter)."""

from __future__ import annotations

import django_filters
from django import forms

from workflows.models import Execution, Run
from workflows.status import ExecutionState, RunState, TriggerKind


class IdFilter(django_filters.NumberFilter):  # type: ignore[misc]
    """A row id: a whole number in the database's range (a decimal or a 40-digit one is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class RunFilter(django_filters.FilterSet):  # type: ignore[misc]
    workflow = IdFilter(field_name="workflow_id", help_text="A workflow id.")
    workflow_slug = django_filters.CharFilter(field_name="workflow__slug")
    state = django_filters.ChoiceFilter(choices=RunState.choices)
    trigger_kind = django_filters.ChoiceFilter(choices=TriggerKind.choices)
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601, inclusive."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO 8601, exclusive."
    )

    class Meta:
        model = Run
        fields = ["workflow", "workflow_slug", "state", "trigger_kind"]


class ExecutionFilter(django_filters.FilterSet):  # type: ignore[misc]
    workflow = IdFilter(field_name="run__workflow_id", help_text="A workflow id.")
    run = IdFilter(field_name="run_id")
    state = django_filters.ChoiceFilter(choices=ExecutionState.choices)
    queued_after = django_filters.IsoDateTimeFilter(
        field_name="queued_at", lookup_expr="gte", help_text="ISO 8601, inclusive."
    )
    queued_before = django_filters.IsoDateTimeFilter(
        field_name="queued_at", lookup_expr="lt", help_text="ISO 8601, exclusive."
    )

    class Meta:
        model = Execution
        fields = ["workflow", "run", "state"]
