"""What the API shows of workflows, versions, runs, executions and steps, and what it reads."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from idconfluence.validators import multi_line, single_line
from workflows import documents
from workflows.models import Execution, Run, Step, Workflow, WorkflowVersion


def _username() -> Any:
    """A user shown by username; null once the user is gone (the rows keep SET_NULL)."""
    return serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)


class WorkflowSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    owner = _username()
    published_version = serializers.SerializerMethodField()
    draft_version = serializers.SerializerMethodField()

    class Meta:
        model = Workflow
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "owner",
            "enabled",
            "published_version",
            "draft_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "owner", "enabled", "created_at", "updated_at"]

    def get_published_version(self, obj: Workflow) -> int | None:
        version = obj.published_version
        return version.number if version else None

    def get_draft_version(self, obj: Workflow) -> int | None:
        version = obj.draft
        return version.number if version else None


class WorkflowCreateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    slug = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200, validators=[single_line])
    description = serializers.CharField(
        required=False, allow_blank=True, default="", validators=[multi_line]
    )


@extend_schema_field(OpenApiTypes.OBJECT)
class DocumentField(serializers.JSONField):
    """A workflow document (format idconfluence.workflow/v1), checked by workflows.documents."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError("A workflow document is a JSON object.")
        try:
            return documents.check(data)
        except documents.DocumentError as exc:
            raise serializers.ValidationError(exc.errors) from None


class ImportSerializer(serializers.Serializer):  # type: ignore[type-arg]
    document = DocumentField()
    publish = serializers.BooleanField(default=False)
    replace_draft = serializers.BooleanField(
        default=False, help_text="Replace the workflow's current draft; otherwise a draft is a 409."
    )


class RunStartSerializer(serializers.Serializer):  # type: ignore[type-arg]
    input = serializers.DictField(required=False, default=dict, help_text="The trigger's event.")


class VersionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    created_by = _username()
    published_by = _username()

    class Meta:
        model = WorkflowVersion
        fields = [
            "number",
            "state",
            "checksum",
            "created_by",
            "created_at",
            "published_by",
            "published_at",
        ]
        read_only_fields = fields


class VersionDetailSerializer(VersionSerializer):
    document = serializers.SerializerMethodField()

    class Meta(VersionSerializer.Meta):
        fields = [*VersionSerializer.Meta.fields, "document"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_document(self, obj: WorkflowVersion) -> dict[str, Any]:
        return documents.version_document(obj)


class PublishSerializer(serializers.Serializer):  # type: ignore[type-arg]
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The draft's number, if you want it checked."
    )


class StepSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Step
        fields = [
            "seq",
            "block_key",
            "block_kind",
            "block_type",
            "state",
            "outcome",
            "input",
            "output",
            "error",
            "started_at",
            "finished_at",
            "duration_ms",
        ]
        read_only_fields = fields


class ExecutionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    workflow = serializers.IntegerField(source="run.workflow_id", read_only=True)

    class Meta:
        model = Execution
        fields = [
            "id",
            "run",
            "workflow",
            "number",
            "state",
            "start_block",
            "retry_of",
            "queued_at",
            "started_at",
            "deadline",
            "finished_at",
            "failed_block",
            "waiting_block",
            "failure_reason",
        ]
        read_only_fields = fields


class ExecutionDetailSerializer(ExecutionSerializer):
    steps = StepSerializer(many=True, read_only=True)

    class Meta(ExecutionSerializer.Meta):
        fields = [*ExecutionSerializer.Meta.fields, "steps"]
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    workflow_slug = serializers.CharField(source="workflow.slug", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    started_by = _username()

    class Meta:
        model = Run
        fields = [
            "id",
            "workflow",
            "workflow_slug",
            "version",
            "trigger_kind",
            "trigger_ref",
            "input",
            "state",
            "dry_run",
            "started_by",
            "retriggered_from",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class RunDetailSerializer(RunSerializer):
    executions = ExecutionSerializer(many=True, read_only=True)

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "executions"]
        read_only_fields = fields


class NoteSerializer(serializers.Serializer):  # type: ignore[type-arg]
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=500, validators=[single_line]
    )


class WebhookEndpointSerializer(serializers.Serializer):  # type: ignore[type-arg]
    path = serializers.CharField(read_only=True)
    active = serializers.BooleanField(read_only=True)
    has_secret = serializers.BooleanField(read_only=True)
    secret_rotated_at = serializers.DateTimeField(read_only=True, allow_null=True)
    previous_valid_until = serializers.DateTimeField(read_only=True, allow_null=True)


class RotatedSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        read_only=True, help_text="The new signing secret: shown this once, stored encrypted."
    )
