"""Facts other code does not report itself: admin edits, sign-ins, permission grants.

Each receiver runs inside the transaction of the change (Django sends these signals from within
it), so a rolled-back change leaves no event. Two writers skip signals by design, LogEntry's
and guardian's bulk_create (the admin's multi-object delete, guardian's bulk assign): their
managers' bulk_create is wrapped so those rows are recorded too, in the same transaction.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry, LogEntryManager
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from audit import context, permission_events
from audit.services import record, record_many

if TYPE_CHECKING:
    from audit.services import EventFields

_ADMIN_ACTIONS = {ADDITION: "admin.added", CHANGE: "admin.changed", DELETION: "admin.deleted"}


def admin_entry_event(entry: LogEntry) -> EventFields:
    ct = cast(ContentType | None, entry.content_type)
    try:
        changes: Any = json.loads(entry.change_message or "[]")
    except ValueError:
        changes = entry.change_message
    return {
        "action": _ADMIN_ACTIONS.get(entry.action_flag, "admin.logged"),
        "actor": entry.user,
        "target_type": f"{ct.app_label}.{ct.model}" if ct else "",
        "target_id": entry.object_id or "",
        "target_label": entry.object_repr,
        "details": {"change_message": entry.get_change_message(), "changes": changes},
    }


def _on_log_entry_saved(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if created and not kwargs.get("raw"):
        record(**admin_entry_event(instance))


def audit_bulk_create(
    manager_cls: type[models.Manager[Any]], describe: Callable[[Any], Any]
) -> None:
    """Record every row `manager_cls.bulk_create` writes, in the same transaction."""
    original = manager_cls.bulk_create
    if getattr(original, "audited", False):
        return

    @functools.wraps(original)
    def bulk_create(self: models.Manager[Any], objs: Any, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic(using=self.db, savepoint=False):
            created = original(self, objs, *args, **kwargs)
            if created:
                record_many([describe(obj) for obj in created])
        return created

    bulk_create.audited = True  # type: ignore[attr-defined]
    manager_cls.bulk_create = bulk_create  # type: ignore[method-assign]


def _on_signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action="auth.signed_in", actor=user, target=user, request=request)


def _on_signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action="auth.signed_out", actor=user, target=user, request=request)


def _on_sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # Only the name tried: never the password or any other credential.
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or "")
    record(
        action="auth.sign_in_failed",
        actor_kind="anonymous",
        actor_label=username or "anonymous",
        target_type="auth.user",
        target_label=username,
        request=request,
    )


def _request_user() -> Any:
    meta = context.current()
    return meta.user() if meta else None


def connect() -> None:
    """Called once from AuditConfig.ready(): every receiver and bulk_create wrapper."""
    from guardian.managers import BaseObjectPermissionManager
    from guardian.utils import get_group_obj_perms_model, get_user_obj_perms_model

    post_save.connect(_on_log_entry_saved, sender=LogEntry, dispatch_uid="audit.admin")
    audit_bulk_create(LogEntryManager, admin_entry_event)
    user_logged_in.connect(_on_signed_in, dispatch_uid="audit.signed_in")
    user_logged_out.connect(_on_signed_out, dispatch_uid="audit.signed_out")
    user_login_failed.connect(_on_sign_in_failed, dispatch_uid="audit.sign_in_failed")

    user_model = get_user_model()
    for through in (
        user_model.user_permissions.through,
        user_model.groups.through,
        Group.permissions.through,
    ):
        m2m_changed.connect(
            permission_events.on_m2m_changed(_request_user),
            sender=through,
            weak=False,
            dispatch_uid=f"audit.m2m.{through._meta.label_lower}",
        )
    for obj_perm_model in (get_user_obj_perms_model(), get_group_obj_perms_model()):
        uid = f"audit.objperm.{obj_perm_model._meta.label_lower}"
        granted = permission_events.on_object_permission(_request_user, granted=True)
        revoked = permission_events.on_object_permission(_request_user, granted=False)
        post_save.connect(granted, sender=obj_perm_model, weak=False, dispatch_uid=uid)
        post_delete.connect(revoked, sender=obj_perm_model, weak=False, dispatch_uid=uid)
    audit_bulk_create(
        BaseObjectPermissionManager,
        lambda obj: permission_events.object_permission_event(obj, True, _request_user()),
    )
