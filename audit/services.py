"""`record(...)`: the one way any app writes an audit event, inside the caller's transaction."""

from __future__ import annotations

from typing import Any

from django.db import models

from audit.models import AuditEvent


def record(
    *,
    action: str,
    actor: Any = None,
    actor_label: str = "",
    target: models.Model | None = None,
    target_label: str = "",
    workflow_id: int | None = None,
    run_id: int | None = None,
    execution_id: int | None = None,
    details: dict[str, Any] | None = None,
    request: Any = None,
) -> AuditEvent:
    """Write one event. Call it inside the transaction of the change it records."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    event = AuditEvent(
        action=action,
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=target_label or (str(target) if target is not None else ""),
        workflow_id=workflow_id,
        run_id=run_id,
        execution_id=execution_id,
        details=details or {},
    )
    if request is not None:
        event.ip_address = request.META.get("REMOTE_ADDR")
        event.user_agent = request.META.get("HTTP_USER_AGENT", "")[:500]
    event.save()
    return event
