"""Routes of this part of /api/v1/: workflows, their versions, runs, executions."""

from django.urls import URLPattern, URLResolver, include, path
from rest_framework.routers import SimpleRouter

from workflows.api.views_runs import ExecutionViewSet, RunViewSet
from workflows.api.views_workflows import VersionViewSet, WorkflowViewSet

router = SimpleRouter(use_regex_path=False)
router.register("workflows", WorkflowViewSet, basename="api-workflow")
router.register("runs", RunViewSet, basename="api-run")
router.register("executions", ExecutionViewSet, basename="api-execution")

versions = SimpleRouter(use_regex_path=False)
versions.register("versions", VersionViewSet, basename="api-version")

urlpatterns: list[URLPattern | URLResolver] = [
    *router.urls,
    path("workflows/<int:workflow_pk>/", include(versions.urls)),
]
