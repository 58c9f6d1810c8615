"""What the builder's endpoints accept and answer (the OpenAPI schema is generated from these)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

MAX_NOTE = 2000


class ProblemSerializer(serializers.Serializer[Any]):
    message = serializers.CharField()
    block = serializers.CharField(allow_null=True)
    edge = serializers.DictField(child=serializers.CharField(), allow_null=True)


class DraftSerializer(serializers.Serializer[Any]):
    workflow = serializers.DictField()
    number = serializers.IntegerField()
    revision = serializers.CharField()
    document = serializers.JSONField()
    saved_by = serializers.CharField(allow_null=True)
    saved_at = serializers.DateTimeField(allow_null=True)
    can = serializers.DictField(child=serializers.BooleanField())


class DraftSaveSerializer(serializers.Serializer[Any]):
    revision = serializers.CharField(max_length=64)
    document = serializers.JSONField()

    def validate_document(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError("must be a workflow document (a JSON object)")
        return value


class ValidateRequestSerializer(serializers.Serializer[Any]):
    document = serializers.JSONField(required=False, help_text="unsaved content; else the draft")


class ValidateResponseSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    issues = ProblemSerializer(many=True)


class ConflictSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    saved_by = serializers.CharField()
    saved_at = serializers.DateTimeField()
    revision = serializers.CharField()


class RefusedSerializer(serializers.Serializer[Any]):
    detail = serializers.CharField()
    issues = ProblemSerializer(many=True, required=False)


class PublishRequestSerializer(serializers.Serializer[Any]):
    revision = serializers.CharField(max_length=64)
    note = serializers.CharField(max_length=MAX_NOTE, allow_blank=False, trim_whitespace=True)


class PublishResponseSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    state = serializers.CharField()
    published_at = serializers.DateTimeField()


class DryRunRequestSerializer(serializers.Serializer[Any]):
    input = serializers.JSONField(required=False, help_text="a sample payload (the run's event)")
    run_id = serializers.IntegerField(required=False, min_value=1, help_text="a past run's input")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("input" in attrs) == ("run_id" in attrs):
            raise serializers.ValidationError("give exactly one of `input` or `run_id`")
        if "input" in attrs and not isinstance(attrs["input"], dict):
            raise serializers.ValidationError({"input": "must be a JSON object"})
        return attrs


class DryRunStepSerializer(serializers.Serializer[Any]):
    block = serializers.CharField()
    kind = serializers.CharField()
    type = serializers.CharField()
    state = serializers.CharField()
    outcome = serializers.CharField()
    would = serializers.CharField(help_text="what an action would change, in the target's words")
    output = serializers.JSONField()
    error = serializers.CharField()


class DryRunResponseSerializer(serializers.Serializer[Any]):
    run_id = serializers.IntegerField()
    state = serializers.CharField()
    reason = serializers.CharField()
    path = serializers.ListField(child=serializers.CharField())
    edges = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    steps = DryRunStepSerializer(many=True)


class BlockTypeSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    type = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    effect = serializers.CharField()
    schema = serializers.JSONField()
    outcomes = serializers.ListField(child=serializers.CharField())
    required_outcomes = serializers.ListField(child=serializers.CharField())
    expression_fields = serializers.ListField(child=serializers.CharField())
    value_fields = serializers.ListField(child=serializers.CharField())
    connector = serializers.DictField(allow_null=True)


class PaletteGroupSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    types = BlockTypeSerializer(many=True)


class OutcomesRequestSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(max_length=20)
    type = serializers.CharField(max_length=50)
    config = serializers.DictField(required=False, default=dict)


class OutcomesResponseSerializer(serializers.Serializer[Any]):
    outcomes = serializers.ListField(child=serializers.CharField())
    required_outcomes = serializers.ListField(child=serializers.CharField())


class ConnectorQuerySerializer(serializers.Serializer[Any]):
    type = serializers.CharField(required=False, max_length=50)
    operation = serializers.CharField(required=False, max_length=64)


class ConnectorChoiceSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    type = serializers.CharField()
    description = serializers.CharField()
    operations = serializers.ListField(child=serializers.CharField())
    enabled = serializers.BooleanField()
    health = serializers.CharField()


class ExpressionCheckSerializer(serializers.Serializer[Any]):
    source = serializers.CharField(  # type: ignore[assignment]  # a field
        max_length=5000, allow_blank=False, trim_whitespace=False, help_text="the field's text"
    )
    mode = serializers.ChoiceField(
        choices=["expression", "value"],
        default="expression",
        help_text="expression: raw CEL; value: '=expr', '{{ template }}' or a literal",
    )
    sample = serializers.JSONField(required=False, help_text="the preview's `event`")


class ExpressionResultSerializer(serializers.Serializer[Any]):
    ok = serializers.BooleanField()
    error = serializers.CharField(allow_null=True)
    position = serializers.IntegerField(allow_null=True, help_text="1-based column")
    preview = serializers.JSONField(allow_null=True)
    preview_error = serializers.CharField(allow_null=True)


class SampleSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    payload = serializers.JSONField()


class SampleQuerySerializer(serializers.Serializer[Any]):
    workflow = serializers.IntegerField(required=False, min_value=1)
