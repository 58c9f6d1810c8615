"""The schema at /api/v1/schema/ and its readers. Swagger UI is the split view (its start-up
script is a file, not inline), so the site's Content-Security-Policy holds; both readers build
their styles at run time, so only these two pages also allow inline styles."""

from __future__ import annotations

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

_INLINE_STYLES = method_decorator(csp_update({"style-src": [UNSAFE_INLINE]}), name="dispatch")


class SchemaView(SpectacularAPIView):
    """Anyone signed in (session or token) may read the schema; it holds no data."""


@_INLINE_STYLES
class SwaggerView(SpectacularSwaggerSplitView):
    pass


@_INLINE_STYLES
class RedocView(SpectacularRedocView):
    template_name = "idconfluence_rest/redoc.html"  # the stock page loads fonts from a CDN
