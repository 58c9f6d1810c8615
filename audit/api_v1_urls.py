"""Routes of the audit API under /api/v1/audit/."""

from rest_framework.routers import SimpleRouter

from audit.api import AuditEventViewSet

router = SimpleRouter(use_regex_path=False)
router.register("events", AuditEventViewSet, basename="audit-event")

urlpatterns = router.urls
