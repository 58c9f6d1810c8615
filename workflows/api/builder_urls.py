"""/api/v1/builder/: what the workflow builder's canvas calls (session auth, CSRF)."""

from django.urls import URLPattern, URLResolver, path

from workflows.api import builder, builder_catalog

app_name = "builder"
urlpatterns: list[URLPattern | URLResolver] = [
    path("workflows/<int:pk>/draft/", builder.DraftView.as_view(), name="draft"),
    path(
        "workflows/<int:pk>/draft/validate/",
        builder.DraftValidateView.as_view(),
        name="draft-validate",
    ),
    path(
        "workflows/<int:pk>/draft/publish/",
        builder.DraftPublishView.as_view(),
        name="draft-publish",
    ),
    path("workflows/<int:pk>/dry-run/", builder.DryRunView.as_view(), name="dry-run"),
    path("block-types/", builder_catalog.BlockTypesView.as_view(), name="block-types"),
    path(
        "block-types/outcomes/",
        builder_catalog.BlockOutcomesView.as_view(),
        name="block-outcomes",
    ),
    path("connectors/", builder_catalog.ConnectorsView.as_view(), name="connectors"),
    path(
        "expressions/check/",
        builder_catalog.ExpressionCheckView.as_view(),
        name="expression-check",
    ),
    path("samples/", builder_catalog.SamplesView.as_view(), name="samples"),
]
