"""Approval tasks over the API: the tasks you may see (`mine=true`: the open ones waiting on
you) and deciding one as the signed-in approver, through the emailed link's own rules."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from approvals.access import TASKS
from approvals.api.serializers import DecisionSerializer, TaskSerializer
from approvals.models import ApprovalTask
from approvals.selectors import tasks_for
from approvals.services.deciding import NotAnApprover, may_decide, task_decide_signed_in

MINE = OpenApiParameter(
    "mine", OpenApiTypes.BOOL, description="Only the open tasks waiting on you."
)


@extend_schema(parameters=[MINE])
class TaskViewSet(viewsets.ReadOnlyModelViewSet[ApprovalTask]):
    serializer_class = TaskSerializer
    # The queryset is the rule for reading (tasks you may view, and yours); deciding is the
    # service's rule: the holder of one of the task's links.
    lookup_value_converter = "int"
    filterset_fields = ["state", "block_key"]

    def get_queryset(self) -> QuerySet[ApprovalTask]:
        if getattr(self, "swagger_fake_view", False):
            return ApprovalTask.objects.none()
        user = self.request.user
        mine = tasks_for(user).values("pk")
        if self.request.query_params.get("mine") in ("1", "true", "yes"):
            found = ApprovalTask.objects.filter(pk__in=mine)
        else:
            visible = TASKS.visible(user).values("pk")
            theirs = ApprovalTask.objects.filter(Q(decided_by=user) | Q(links__user=user))
            found = ApprovalTask.objects.filter(
                Q(pk__in=visible) | Q(pk__in=mine) | Q(pk__in=theirs.values("pk"))
            )
        return found.select_related("run").order_by("due_at", "pk")

    @extend_schema(request=DecisionSerializer, responses={200: TaskSerializer})
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str) -> Response:
        """Approve, reject or another outcome of the task, once; with its input fields."""
        task = self.get_object()
        if not may_decide(task, request.user):
            raise PermissionDenied(f"You are not an approver of task {task.pk}.")
        data = DecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            task = task_decide_signed_in(task=task, user=request.user, **data.validated_data)
        except NotAnApprover as exc:
            raise PermissionDenied(str(exc)) from None
        return Response(TaskSerializer(task).data)
