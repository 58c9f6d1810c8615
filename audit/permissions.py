"""One permission rule for the audit log, shared by the API (the admin asks its ModelAdmin)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission

VIEW_EVENTS = "audit.view_auditevent"


def can_view_events(user: Any) -> bool:
    return bool(user and user.is_active and user.has_perm(VIEW_EVENTS))


class CanViewAuditEvents(BasePermission):
    """Read-only for everyone: safe methods only, and only with view permission on events."""

    def has_permission(self, request: Any, view: Any) -> bool:
        return request.method in ("GET", "HEAD", "OPTIONS") and can_view_events(request.user)
