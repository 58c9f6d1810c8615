"""The builder's draft endpoints: open, save (optimistic concurrency), validate, publish, dry run.

Every view finds the workflow among those the user may view (others are a 404, so names do not
leak), then asks `WORKFLOWS` for the action. Refusals are JSON with a `detail` sentence and,
for a document, its problems placed on blocks and edges; nothing here answers 500 for a body.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from connectors.services import supported_operations
from workflows import documents
from workflows.access import WORKFLOWS
from workflows.api import builder_serializers as s
from workflows.api.intake_parser import IntakeJSONParser
from workflows.engine.errors import GraphError
from workflows.engine.graph import Graph
from workflows.engine.validate import validate
from workflows.models import FrozenVersionError, Run, Workflow, WorkflowVersion
from workflows.services.drafts import (
    Problem,
    draft_dry_run,
    draft_open,
    draft_problems,
    placed_document_errors,
    placed_issues,
)
from workflows.services.runs import NotRunnable
from workflows.services.versions import (
    PublishRefused,
    StaleDraft,
    draft_revision,
    draft_save,
    version_publish,
)
from workflows.status import VersionState


def _workflow(request: Request, pk: int, action: str) -> Workflow:
    workflow = get_object_or_404(WORKFLOWS.visible(request.user), pk=pk)
    WORKFLOWS.require(request.user, action, workflow)
    return workflow


def _draft(workflow: Workflow) -> WorkflowVersion | None:
    return workflow.versions.filter(state=VersionState.DRAFT).first()


def _refused(detail: str, problems: list[Problem], code: int = 400) -> Response:
    return Response({"detail": detail, "issues": [p.to_dict() for p in problems]}, status=code)


def _conflict(exc: StaleDraft) -> Response:
    return Response(
        {
            "detail": str(exc),
            "saved_by": exc.saved_by,
            "saved_at": exc.saved_at,
            "revision": draft_revision(exc.draft),
        },
        status=status.HTTP_409_CONFLICT,
    )


def draft_body(request: Request, workflow: Workflow, draft: WorkflowVersion) -> dict[str, Any]:
    saved_by = draft.changed_by or draft.created_by
    user = request.user
    return {
        "workflow": {"id": workflow.pk, "slug": workflow.slug, "name": workflow.name},
        "number": draft.number,
        "revision": draft_revision(draft),
        "document": documents.version_document(draft),
        "saved_by": saved_by.get_username() if saved_by is not None else None,
        "saved_at": draft.changed_at or draft.created_at,
        "can": {
            action: WORKFLOWS.can(user, action, workflow) for action in ("change", "publish", "run")
        },
    }


class DraftView(APIView):
    parser_classes = [IntakeJSONParser]

    @extend_schema(responses={200: s.DraftSerializer}, summary="The draft (made on first use)")
    def get(self, request: Request, pk: int) -> Response:
        workflow = _workflow(request, pk, "view")
        draft = _draft(workflow)
        if draft is None:
            WORKFLOWS.require(request.user, "change", workflow)
            draft = draft_open(workflow=workflow, actor=request.user)
        return Response(draft_body(request, workflow, draft))

    @extend_schema(
        request=s.DraftSaveSerializer,
        responses={200: s.DraftSerializer, 400: s.RefusedSerializer, 409: s.ConflictSerializer},
        summary="Save the draft; refused (409) if it changed since `revision`",
    )
    def put(self, request: Request, pk: int) -> Response:
        workflow = _workflow(request, pk, "change")
        body = s.DraftSaveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = body.validated_data["document"]
        try:
            draft = draft_save(
                workflow=workflow,
                document=_own_meta(workflow, document),
                actor=request.user,
                revision=body.validated_data["revision"],
            )
        except StaleDraft as exc:
            return _conflict(exc)
        except documents.DocumentError as exc:
            return _refused(
                "The document was not saved: " + exc.errors[0],
                placed_document_errors(exc.errors, document),
            )
        return Response(draft_body(request, workflow, draft))


def _own_meta(workflow: Workflow, document: dict[str, Any]) -> dict[str, Any]:
    """The draft belongs to this workflow whatever `workflow` the body claims (an imported
    document of another workflow becomes this one's content, never a rename or a move)."""
    meta = {"slug": workflow.slug, "name": workflow.name, "description": workflow.description}
    return {**document, "workflow": meta}


class DraftValidateView(APIView):
    parser_classes = [IntakeJSONParser]

    @extend_schema(
        request=s.ValidateRequestSerializer,
        responses={200: s.ValidateResponseSerializer, 400: s.RefusedSerializer},
        summary="Problems that stop publishing, per block and edge",
    )
    def post(self, request: Request, pk: int) -> Response:
        workflow = _workflow(request, pk, "view")
        body = s.ValidateRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "document" in body.validated_data:
            document = body.validated_data["document"]
            try:
                checked = documents.check(
                    _own_meta(workflow, document) if isinstance(document, dict) else document
                )
                graph = Graph.from_document(checked)
                problems = placed_issues(validate(graph, supported_operations()), checked)
            except documents.DocumentError as exc:
                problems = placed_document_errors(exc.errors, document)
            except GraphError as exc:
                problems = [Problem(str(exc))]
        else:
            draft = _draft(workflow)
            if draft is None:
                return _refused("The workflow has no draft; open it in the builder first.", [])
            problems = draft_problems(draft)
        return Response({"ok": not problems, "issues": [p.to_dict() for p in problems]})


class DraftPublishView(APIView):
    parser_classes = [IntakeJSONParser]

    @extend_schema(
        request=s.PublishRequestSerializer,
        responses={
            200: s.PublishResponseSerializer,
            400: s.RefusedSerializer,
            409: s.ConflictSerializer,
        },
        summary="Publish the draft as saved at `revision`, with a change note",
    )
    def post(self, request: Request, pk: int) -> Response:
        workflow = _workflow(request, pk, "publish")
        body = s.PublishRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        draft = _draft(workflow)
        if draft is None:
            return _refused("The workflow has no draft to publish.", [])
        if draft_revision(draft) != body.validated_data["revision"]:
            # Publishing what the person did not see would be worse than a stale save.
            return _conflict(StaleDraft(draft))
        try:
            version = version_publish(
                version=draft, actor=request.user, change_note=body.validated_data["note"]
            )
        except PublishRefused as exc:
            problems = placed_issues(exc.issues, documents.version_document(draft))
            return _refused("The draft cannot be published yet: fix the problems shown.", problems)
        except FrozenVersionError as exc:
            return _refused(str(exc), [], code=status.HTTP_409_CONFLICT)
        return Response(
            {
                "number": version.number,
                "state": version.state,
                "published_at": version.published_at,
            }
        )


class DryRunView(APIView):
    parser_classes = [IntakeJSONParser]

    @extend_schema(
        request=s.DryRunRequestSerializer,
        responses={200: s.DryRunResponseSerializer, 400: s.RefusedSerializer},
        summary="Walk the saved draft as a dry run: the path taken and what each action would do",
    )
    def post(self, request: Request, pk: int) -> Response:
        workflow = _workflow(request, pk, "run")
        body = s.DryRunRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if "run_id" in body.validated_data:
            past = Run.objects.filter(pk=body.validated_data["run_id"], workflow=workflow).first()
            if past is None:
                return _refused("No run with that id belongs to this workflow.", [])
            event = past.input if isinstance(past.input, dict) else {}
        else:
            event = body.validated_data["input"]
        draft = _draft(workflow)
        if draft is None:
            return _refused("The workflow has no draft; open it in the builder first.", [])
        problems = draft_problems(draft)
        if problems:
            return _refused("The draft has problems; validate and fix them first.", problems)
        try:
            result = draft_dry_run(draft=draft, event=event, actor=request.user)
        except NotRunnable as exc:
            return _refused(str(exc), [])
        return Response(
            {
                "run_id": result.run.pk,
                "state": result.state,
                "reason": result.reason,
                "path": result.path,
                "edges": result.edges,
                "steps": result.steps,
            }
        )
