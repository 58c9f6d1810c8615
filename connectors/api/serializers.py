"""Connectors over the API. Secrets are write-only: `secrets` is accepted and never returned;
`secrets_set` names which are stored."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from connectors.forms import config_problems
from connectors.models import Connector
from connectors.registry import all_types, type_choices
from idconfluence.validators import multi_line


class ConnectorSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    type = serializers.ChoiceField(choices=[])
    description = serializers.CharField(
        required=False, allow_blank=True, default="", validators=[multi_line]
    )
    config = serializers.DictField(required=False, default=dict)
    secrets = serializers.DictField(
        child=serializers.CharField(allow_null=True, trim_whitespace=False, max_length=10_000),
        required=False,
        write_only=True,
        help_text="Write-only. A value sets that secret, null clears it, a name left out keeps it.",
    )
    secrets_set = serializers.SerializerMethodField()

    class Meta:
        model = Connector
        fields = [
            "id",
            "name",
            "type",
            "description",
            "enabled",
            "config",
            "secrets",
            "secrets_set",
            "health_status",
            "health_message",
            "health_checked_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "id",
            "health_status",
            "health_message",
            "health_checked_at",
            "created_at",
            "updated_at",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices()  # type: ignore[attr-defined]
        if self.instance is not None and not isinstance(self.instance, list | tuple):
            self.fields["type"].read_only = True  # a new type is a new connector

    def get_secrets_set(self, obj: Connector) -> list[str]:
        return sorted(obj.get_secrets())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        type_name = str(attrs.get("type") or getattr(self.instance, "type", ""))
        config = attrs.get("config", getattr(self.instance, "config", {}))
        errors: dict[str, list[str]] = {}
        problems = config_problems(type_name, config)
        if problems:
            errors["config"] = problems
        allowed = set(all_types()[type_name].secret_fields)
        unknown = sorted(set(attrs.get("secrets") or {}) - allowed)
        if unknown:
            errors["secrets"] = [
                f"{type_name} has no secret {', '.join(unknown)} "
                f"(it has: {', '.join(sorted(allowed)) or 'none'})"
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class HealthSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Connector
        fields = ["name", "health_status", "health_message", "health_checked_at"]
        read_only_fields = fields


class ConnectorUseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(read_only=True)
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    versions = serializers.ListField(child=serializers.DictField(), read_only=True)
