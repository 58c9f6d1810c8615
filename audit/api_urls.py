"""Routes of the audit API as first mounted, at /api/audit/ (session only; v1 is api_v1_urls)."""

from rest_framework.routers import DefaultRouter

from audit.api import SessionAuditEventViewSet

router = DefaultRouter()
router.register("events", SessionAuditEventViewSet, basename="audit-event-session")

urlpatterns = router.urls
