"""Routes of the audit API, mounted at /api/audit/."""

from rest_framework.routers import DefaultRouter

from audit.api import AuditEventViewSet

router = DefaultRouter()
router.register("events", AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
