"""The read-only audit API: events with the auditors' filters, newest first, keyset-paginated.

Cursor pagination walks the (occurred_at, seq) index from a position, so page 10,000 costs
what page 1 does and nothing is ever counted. Mounted at /api/v1/audit/ (token or session) and,
as it always was, at /api/audit/ (session only).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.filters import BaseFilterBackend
from rest_framework.pagination import CursorPagination

from audit import filters
from audit.chain import ROW_FIELDS
from audit.models import AuditEvent
from audit.permissions import CanViewAuditEvents

_PARAMETERS = {
    "preset": ("One of: " + ", ".join(filters.PRESETS) + " (ignored with from/to).", None),
    "from": ("First day, inclusive (YYYY-MM-DD, in tz).", OpenApiTypes.DATE),
    "to": ("Last day, inclusive (YYYY-MM-DD, in tz).", OpenApiTypes.DATE),
    "tz": ("IANA time zone the days are read in (default: the site's).", None),
    "actor": ("Exactly this actor label.", None),
    "action": ("This action, or a prefix ending in * (run.*).", None),
    "workflow": ("A workflow id or slug.", None),
    "target_type": ("Exactly this target type (app.model).", None),
    "target_id": ("Exactly this target id.", None),
    "q": ("Words in the action, actor, target label or id.", None),
}


class AuditEventFilter(BaseFilterBackend):
    """audit.filters, the rule the admin, exports and commands share; declared for the schema."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        if getattr(view, "action", None) != "list":
            return queryset
        try:
            found = filters.from_request(request)
        except filters.FilterError as error:
            raise ValidationError({"detail": str(error)}) from error
        return found.apply(queryset)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "required": False,
                "in": "query",
                "description": text,
                "schema": {"type": "string", **({"format": "date"} if kind else {})},
            }
            for name, (text, kind) in _PARAMETERS.items()
        ]


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
    """GET /api/v1/audit/events/?from=&to=&preset=&tz=&actor=&action=&workflow=&target_type=
    &target_id=&q= (days inclusive, in `tz` or the site's zone)."""

    serializer_class = AuditEventSerializer
    permission_classes = [CanViewAuditEvents]
    pagination_class = EventCursor
    filter_backends = [AuditEventFilter]
    queryset = AuditEvent.objects.all()
    lookup_value_converter = "int"


@extend_schema(exclude=True)
class SessionAuditEventViewSet(AuditEventViewSet):
    """/api/audit/events/, kept as it was for the console's pages: session only."""

    authentication_classes = [SessionAuthentication]
