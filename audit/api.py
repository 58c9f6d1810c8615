"""The read-only audit API: events with the auditors' filters, newest first, keyset-paginated.

Cursor pagination walks the (occurred_at, seq) index from a position, so page 10,000 costs
what page 1 does and nothing is ever counted.
"""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination

from audit import filters
from audit.chain import ROW_FIELDS
from audit.models import AuditEvent
from audit.permissions import CanViewAuditEvents


class AuditEventSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = AuditEvent
        fields = list(ROW_FIELDS)
        read_only_fields = fields


class EventCursor(CursorPagination):
    ordering = ("-occurred_at", "-seq")
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """GET /api/audit/events/?from=&to=&preset=&tz=&actor=&action=&workflow=&target_type=
    &target_id=&q= (days inclusive, in `tz` or the site's zone)."""

    serializer_class = AuditEventSerializer
    permission_classes = [CanViewAuditEvents]
    pagination_class = EventCursor
    queryset = AuditEvent.objects.all()

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if self.action != "list":
            return AuditEvent.objects.all()
        try:
            found = filters.from_request(self.request)
        except filters.FilterError as error:
            raise ValidationError({"detail": str(error)}) from error
        return found.apply(AuditEvent.objects.all())
