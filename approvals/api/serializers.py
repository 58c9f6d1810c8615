"""Approval tasks over the API: what is asked and by when, and a decision."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.models import ApprovalTask


class TaskSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    workflow = serializers.IntegerField(source="run.workflow_id", read_only=True)
    input_fields = serializers.SerializerMethodField()
    # Blank when nobody delegated: plain text, not the model's EmailField (whose format says
    # an address is always there).
    on_behalf_of = serializers.CharField(read_only=True)

    class Meta:
        model = ApprovalTask
        fields = [
            "id",
            "title",
            "instructions",
            "workflow",
            "run",
            "block_key",
            "assignee",
            "on_behalf_of",
            "state",
            "outcomes",
            "input_fields",
            "require_comment_to_reject",
            "due_at",
            "due_text",
            "escalation_level",
            "decision",
            "decided_by_email",
            "decided_on_behalf_of",
            "decided_at",
            "comment",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_input_fields(self, obj: ApprovalTask) -> list[Any]:
        return list(obj.config.get("fields") or [])


class DecisionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    outcome = serializers.CharField(max_length=64, help_text="One of the task's outcomes' keys.")
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000, trim_whitespace=True
    )
    fields = serializers.DictField(  # type: ignore[assignment]  # the body's key, popped by DRF
        required=False,
        default=dict,
        help_text="The task's input fields by key (text, number, choice, boolean).",
    )
