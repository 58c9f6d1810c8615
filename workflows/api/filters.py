"""The filters of the runs and executions lists (django-filter: declared, so they are in the
schema; a value that does not parse is a 400 naming the parameter)."""

from __future__ import annotations

from datetime import UTC, datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError

from workflows.models import Execution, Run
from workflows.status import ExecutionState, RunState, TriggerKind


class IdFilter(django_filters.NumberFilter):  # type: ignore[misc]
    """A row id: a whole number in the database's range (a decimal or a 40-digit one is a 400)."""

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):  # type: ignore[misc]
    """An ISO 8601 instant, brought to UTC here: PostgreSQL refuses offsets past 15:59 (a 500
    otherwise), and an instant beyond year 1..9999 in UTC is a 400, not an overflow."""

    def to_python(self, value: object) -> datetime | None:
        parsed: datetime | None = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise ValidationError("This instant is out of range.", code="invalid") from None


class InstantFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = UtcDateTimeField


class RunFilter(django_filters.FilterSet):  # type: ignore[misc]
    workflow = IdFilter(field_name="workflow_id", help_text="A workflow id.")
    workflow_slug = django_filters.CharFilter(field_name="workflow__slug")
    state = django_filters.ChoiceFilter(choices=RunState.choices)
    trigger_kind = django_filters.ChoiceFilter(choices=TriggerKind.choices)
    created_after = InstantFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601, inclusive."
    )
    created_before = InstantFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO 8601, exclusive."
    )

    class Meta:
        model = Run
        fields = ["workflow", "workflow_slug", "state", "trigger_kind"]


class ExecutionFilter(django_filters.FilterSet):  # type: ignore[misc]
    workflow = IdFilter(field_name="run__workflow_id", help_text="A workflow id.")
    run = IdFilter(field_name="run_id")
    state = django_filters.ChoiceFilter(choices=ExecutionState.choices)
    queued_after = InstantFilter(
        field_name="queued_at", lookup_expr="gte", help_text="ISO 8601, inclusive."
    )
    queued_before = InstantFilter(
        field_name="queued_at", lookup_expr="lt", help_text="ISO 8601, exclusive."
    )

    class Meta:
        model = Execution
        fields = ["workflow", "run", "state"]
