"""Routes of this part of /api/v1/: approval tasks."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from approvals.api.views import TaskViewSet

router = SimpleRouter(use_regex_path=False)
router.register("approvals/tasks", TaskViewSet, basename="api-task")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
