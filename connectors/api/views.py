"""Connectors over the API: list, read, create and update (write-only secrets), test the
connection now, read the last health check, and which workflows use each."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from connectors.access import CONNECTORS
from connectors.api.serializers import ConnectorSerializer, ConnectorUseSerializer, HealthSerializer
from connectors.models import Connector
from connectors.services import connector_save, connector_test
from idconfluence.rest.permissions import FollowsRules
from workflows.access import WORKFLOWS
from workflows.models import Block
from workflows.status import VersionState


class ConnectorViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet[Connector],
):
    serializer_class = ConnectorSerializer
    permission_classes = [*viewsets.GenericViewSet.permission_classes, FollowsRules]
    rules = CONNECTORS
    rule_actions = {"update": "change", "partial_update": "change", "test": "change"}
    lookup_value_converter = "int"
    filterset_fields = ["type", "enabled", "health_status"]

    def get_queryset(self) -> QuerySet[Connector]:
        return CONNECTORS.visible(self.request.user).order_by("name")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        CONNECTORS.require(request.user, "add")  # before reading the body: 403, not 400
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: Any) -> None:
        self._save(serializer, Connector())

    def perform_update(self, serializer: Any) -> None:
        self._save(serializer, serializer.instance)

    def _save(self, serializer: Any, connector: Connector) -> None:
        data = dict(serializer.validated_data)
        secrets = data.pop("secrets", None)
        for field, value in data.items():
            setattr(connector, field, value)
        serializer.instance = connector_save(
            connector=connector, secrets=secrets, actor=self.request.user
        )

    @extend_schema(request=None, responses={200: HealthSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        """Check reachability and credentials now (within the execution window); the result is
        stored as the connector's health and audited."""
        connector = self.get_object()
        connector_test(connector=connector, actor=request.user)
        connector.refresh_from_db()
        return Response(HealthSerializer(connector).data, status=status.HTTP_200_OK)

    @extend_schema(responses={200: HealthSerializer})
    @action(detail=True, methods=["get"])
    def health(self, request: Request, pk: str) -> Response:
        """The last health check (see `test` to run one)."""
        return Response(HealthSerializer(self.get_object()).data)

    @extend_schema(responses={200: ConnectorUseSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def workflows(self, request: Request, pk: str) -> Response:
        """The workflows (that you may view) whose draft or published version references it."""
        connector = self.get_object()
        blocks = (
            Block.objects.filter(
                config__connector=connector.name,
                version__state__in=[VersionState.DRAFT, VersionState.PUBLISHED],
                version__workflow__in=WORKFLOWS.visible(request.user),
            )
            .select_related("version", "version__workflow")
            .order_by("version__workflow__slug", "version__number", "key")
        )
        found: dict[int, dict[str, Any]] = {}
        for block in blocks:
            workflow = block.version.workflow
            entry = found.setdefault(
                workflow.pk,
                {"id": workflow.pk, "slug": workflow.slug, "name": workflow.name, "versions": []},
            )
            versions = entry["versions"]
            if not versions or versions[-1]["number"] != block.version.number:
                versions.append(
                    {"number": block.version.number, "state": block.version.state, "blocks": []}
                )
            versions[-1]["blocks"].append(block.key)
        return Response(list(found.values()))
