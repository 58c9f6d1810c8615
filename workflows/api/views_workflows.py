"""Workflows over the API: list, read, create, import and export documents, publish, run,
versions and their diff, and the webhook endpoint's signing secret. Each write calls the
service the console calls, so rules and audit are the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from idconfluence.rest.permissions import FollowsRules
from workflows import documents
from workflows.access import WORKFLOWS
from workflows.api import serializers as s
from workflows.diff import diff_documents
from workflows.models import Workflow, WorkflowVersion
from workflows.models_triggers import WebhookEndpoint
from workflows.services.creating import workflow_create
from workflows.services.runs import run_start
from workflows.services.triggers import endpoint_path, endpoint_rotate_secret
from workflows.services.versions import version_publish, workflow_import
from workflows.status import VersionState

F = TypeVar("F", bound=Callable[..., Any])


def _by_number(name: str, text: str) -> Callable[[F], F]:
    """The schema of a read answered with a document, picked by a version number parameter."""
    decorate: Callable[[F], F] = extend_schema(
        parameters=[OpenApiParameter(name, int, description=text)],
        responses={200: OpenApiTypes.OBJECT},
    )
    return decorate


def _numbered(workflow: Workflow, value: str, name: str) -> WorkflowVersion:
    if not value.isdigit() or len(value) > 9:
        raise ValidationError({name: ["a version number"]})
    return get_object_or_404(workflow.versions, number=int(value))


def _endpoint_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "path": endpoint_path(endpoint),
        "active": endpoint.active,
        "has_secret": endpoint.has_secret,
        "secret_rotated_at": endpoint.secret_rotated_at,
        "previous_valid_until": endpoint.previous_valid_until,
    }


class WorkflowViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet[Workflow]
):
    serializer_class = s.WorkflowSerializer
    permission_classes = [*viewsets.GenericViewSet.permission_classes, FollowsRules]
    rules = WORKFLOWS
    rule_actions = {
        "publish": "publish",
        "run": "run",
        "rotate_secret": "change",
    }
    lookup_value_converter = "int"
    filterset_fields = ["slug", "enabled"]

    def get_queryset(self) -> QuerySet[Workflow]:
        return WORKFLOWS.visible(self.request.user).select_related("owner").order_by("slug")

    @extend_schema(request=s.WorkflowCreateSerializer, responses={201: s.WorkflowSerializer})
    def create(self, request: Request) -> Response:
        """A new, empty workflow (needs the model permission to add workflows)."""
        WORKFLOWS.require(request.user, "add")
        data = s.WorkflowCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workflow = workflow_create(**data.validated_data, actor=request.user)
        return Response(s.WorkflowSerializer(workflow).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ImportSerializer, responses={201: s.VersionSerializer})
    @action(detail=False, methods=["post"], url_path="import")
    def import_document(self, request: Request) -> Response:
        """Load a document as the draft of its workflow (created if new), optionally published.
        A new slug needs the permission to add workflows; an existing one `change` on it."""
        user = request.user
        if not (WORKFLOWS.can(user, "add") or WORKFLOWS.visible(user, "change").exists()):
            raise PermissionDenied("You may not import workflows (add or change none).")
        data = s.ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slug = data.validated_data["document"]["workflow"]["slug"]
        existing = Workflow.objects.filter(slug=slug).first()
        if existing is None:
            WORKFLOWS.require(request.user, "add")
        else:
            WORKFLOWS.require(request.user, "change", existing)
            if data.validated_data["publish"]:
                WORKFLOWS.require(request.user, "publish", existing)
        version = workflow_import(**data.validated_data, actor=request.user)
        return Response(s.VersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @_by_number("version", "A version number (default: the published one, else the draft).")
    @action(detail=True, methods=["get"])
    def export(self, request: Request, pk: str) -> Response:
        """The workflow document (format idconfluence.workflow/v1), as import reads it."""
        workflow = self.get_object()
        version = _version_asked(workflow, request.query_params.get("version"))
        return Response(documents.version_document(version))

    @extend_schema(request=s.PublishSerializer, responses={200: s.VersionSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str) -> Response:
        """Validate and publish the draft; problems come back by block (400)."""
        workflow = self.get_object()
        data = s.PublishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        draft = workflow.draft
        if draft is None:
            raise NotFound(f"{workflow.slug} has no draft to publish")
        asked = data.validated_data.get("version")
        if asked is not None and asked != draft.number:
            raise ValidationError({"version": [f"the draft is v{draft.number}, not v{asked}"]})
        version = version_publish(version=draft, actor=request.user)
        return Response(s.VersionSerializer(version).data)

    @extend_schema(request=s.RunStartSerializer, responses={201: s.RunSerializer})
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str) -> Response:
        """Start a run of the published version now, with `input` as the trigger's event."""
        workflow = self.get_object()
        data = s.RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = run_start(workflow=workflow, input=data.validated_data["input"], actor=request.user)
        return Response(s.RunSerializer(run).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.WebhookEndpointSerializer})
    @action(detail=True, methods=["get"])
    def webhook(self, request: Request, pk: str) -> Response:
        """The webhook endpoint of a workflow whose published trigger is a webhook."""
        return Response(_endpoint_data(_endpoint(self.get_object())))

    @extend_schema(request=None, responses={200: s.RotatedSecretSerializer})
    @action(detail=True, methods=["post"], url_path="webhook/rotate-secret")
    def rotate_secret(self, request: Request, pk: str) -> Response:
        """A new signing secret, shown in this answer only; the previous one keeps working for
        a day so the sender can switch over."""
        endpoint = _endpoint(self.get_object())
        secret = endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
        endpoint.refresh_from_db()
        answer = Response({**_endpoint_data(endpoint), "secret": secret})
        answer["Cache-Control"] = "no-store"
        return answer


def _endpoint(workflow: Workflow) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.filter(workflow=workflow).first()
    if endpoint is None:
        raise NotFound(f"{workflow.slug} has no webhook endpoint: its trigger is not a webhook")
    return endpoint


def _version_asked(workflow: Workflow, asked: str | None) -> WorkflowVersion:
    if asked:
        return _numbered(workflow, asked, "version")
    version = workflow.published_version or workflow.draft
    if version is None:
        raise NotFound(f"{workflow.slug} has no version yet")
    return version


class VersionViewSet(viewsets.ReadOnlyModelViewSet[WorkflowVersion]):
    """A workflow's versions, newest first: the draft, the published one and those retired."""

    permission_classes = [*viewsets.GenericViewSet.permission_classes, FollowsRules]
    rules = WORKFLOWS
    lookup_field = "number"
    lookup_value_converter = "int"
    filterset_fields = ["state"]

    def get_serializer_class(self) -> Any:
        return s.VersionDetailSerializer if self.action == "retrieve" else s.VersionSerializer

    def rules_object(self, obj: WorkflowVersion) -> Workflow:
        return obj.workflow

    def get_queryset(self) -> QuerySet[WorkflowVersion]:
        if getattr(self, "swagger_fake_view", False):
            return WorkflowVersion.objects.none()
        workflow = get_object_or_404(
            WORKFLOWS.visible(self.request.user), pk=self.kwargs["workflow_pk"]
        )
        return workflow.versions.select_related("workflow", "created_by", "published_by")

    @_by_number("against", "The version to compare with (default: the one before it).")
    @action(detail=True, methods=["get"])
    def diff(self, request: Request, workflow_pk: str, number: str) -> Response:
        """What changed from `against` (or the version before) to this version."""
        version = self.get_object()
        against = request.query_params.get("against")
        old: WorkflowVersion | None
        if against:
            old = _numbered(version.workflow, against, "against")
        else:
            old = (
                version.workflow.versions.filter(number__lt=version.number)
                .exclude(state=VersionState.DRAFT)
                .order_by("-number")
                .first()
            )
        changes = diff_documents(
            documents.version_document(old) if old else None, documents.version_document(version)
        )
        return Response(
            {
                "from": old.number if old else None,
                "to": version.number,
                "changes": changes.as_dict(),
            }
        )
