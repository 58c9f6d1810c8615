"""/api/v1/: each app mounts its own routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("workflows.api.urls")),
    path("builder/", include("workflows.api.builder_urls")),
    path("", include("connectors.api.urls")),
    path("", include("approvals.api.urls")),
]
