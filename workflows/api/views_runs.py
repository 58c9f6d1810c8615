"""Runs and executions over the API: the lists with their filters, one with its steps, and the
operator's actions (cancel, re-trigger, retry from the failed step) through the same services
the review queue uses. Runs are visible with their workflow; acting needs the operators'
permission."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from idconfluence.rest.permissions import FollowsRules
from workflows.access import EXECUTIONS as OPERATIONS
from workflows.access import WORKFLOWS
from workflows.api import serializers as s
from workflows.api.filters import ExecutionFilter, RunFilter
from workflows.models import Execution, Run
from workflows.services.runs import execution_retry, run_cancel, run_retrigger

_PERMISSIONS = [*viewsets.GenericViewSet.permission_classes, FollowsRules]


class _Operated:
    """Reading asks `view` on the workflow; the actions ask OPERATIONS' `operate`."""

    rule_actions = {"cancel": "operate", "retrigger": "operate", "retry": "operate"}

    @property
    def rules(self) -> Any:
        action_name = getattr(self, "action", "")
        return OPERATIONS if action_name in self.rule_actions else WORKFLOWS

    def rules_object(self, obj: Run | Execution) -> Any:
        if getattr(self, "action", "") in self.rule_actions:
            return obj if isinstance(obj, Execution) else None
        return obj.workflow if isinstance(obj, Run) else obj.run.workflow


class RunViewSet(_Operated, viewsets.ReadOnlyModelViewSet[Run]):
    permission_classes = _PERMISSIONS
    filterset_class = RunFilter
    lookup_value_converter = "int"

    def get_serializer_class(self) -> Any:
        return s.RunDetailSerializer if self.action == "retrieve" else s.RunSerializer

    def get_queryset(self) -> QuerySet[Run]:
        runs = Run.objects.filter(workflow__in=WORKFLOWS.visible(self.request.user))
        runs = runs.select_related("workflow", "version", "started_by").order_by("-created_at")
        if self.action == "retrieve":
            runs = runs.prefetch_related("executions")
        return runs

    @extend_schema(request=s.NoteSerializer, responses={200: s.RunSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        """Stop a run that is queued, waiting or parked (409 if it cannot be, saying why)."""
        run = self.get_object()
        data = s.NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = run_cancel(run=run, actor=request.user, note=data.validated_data["note"])
        run.refresh_from_db()
        return Response(s.RunSerializer(run).data)

    @extend_schema(request=None, responses={201: s.RunSerializer})
    @action(detail=True, methods=["post"])
    def retrigger(self, request: Request, pk: str) -> Response:
        """A new run with the same input on the current published version (failed or cancelled
        runs only, once)."""
        new_run = run_retrigger(run=self.get_object(), actor=request.user)
        return Response(s.RunSerializer(new_run).data, status=status.HTTP_201_CREATED)


class ExecutionViewSet(_Operated, viewsets.ReadOnlyModelViewSet[Execution]):
    permission_classes = _PERMISSIONS
    filterset_class = ExecutionFilter
    lookup_value_converter = "int"

    def get_serializer_class(self) -> Any:
        return s.ExecutionDetailSerializer if self.action == "retrieve" else s.ExecutionSerializer

    def get_queryset(self) -> QuerySet[Execution]:
        executions = Execution.objects.filter(
            run__workflow__in=WORKFLOWS.visible(self.request.user)
        ).select_related("run", "run__workflow")
        if self.action in ("retrieve", "steps"):
            executions = executions.prefetch_related("steps")
        return executions.order_by("-queued_at", "-pk")

    @extend_schema(responses={200: s.StepSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def steps(self, request: Request, pk: str) -> Response:
        """The execution's steps in order: input, output, outcome, timing, error."""
        execution = self.get_object()
        return Response(s.StepSerializer(execution.steps.order_by("seq"), many=True).data)

    @extend_schema(request=None, responses={201: s.ExecutionSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str) -> Response:
        """A new execution of the run from the parked execution's failed block."""
        retry = execution_retry(execution=self.get_object(), actor=request.user)
        return Response(s.ExecutionSerializer(retry).data, status=status.HTTP_201_CREATED)
