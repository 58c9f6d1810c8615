"""Routes of this part of /api/v1/: connectors."""

from django.urls import URLPattern, URLResolver
from rest_framework.routers import SimpleRouter

from connectors.api.views import ConnectorViewSet

router = SimpleRouter(use_regex_path=False)
router.register("connectors", ConnectorViewSet, basename="api-connector")

urlpatterns: list[URLPattern | URLResolver] = [*router.urls]
