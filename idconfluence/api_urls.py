"""/api/v1/: each app mounts its own routes; the OpenAPI schema and its two readers (served
from drf-spectacular-sidecar's local copies, no CDN)."""

from django.urls import include, path, re_path

from idconfluence.rest.docs import RedocView, SchemaView, SwaggerView
from idconfluence.rest.errors import api_not_found

urlpatterns = [
    path("", include("workflows.api.urls")),
    path("builder/", include("workflows.api.builder_urls")),
    path("", include("connectors.api.urls")),
    path("", include("approvals.api.urls")),
    path("audit/", include("audit.api_v1_urls")),
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    re_path(r"^(?P<path>.*)$", api_not_found),  # last: only what no route above takes
]
