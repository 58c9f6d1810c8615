"""Permission grants and revocations as audit events: model permissions, group membership and
guardian's object permissions, whoever changes them (admin, API, shell, data migration).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models

from audit.services import record, record_many

if TYPE_CHECKING:
    from audit.services import EventFields

CurrentUser = Callable[[], Any]
FK = models.ForeignKey[Any, Any]


def _perm_label(perm: Permission) -> str:
    return f"{ContentType.objects.get_for_id(perm.content_type_id).app_label}.{perm.codename}"


def _label(item: models.Model) -> str:
    if isinstance(item, Permission):
        return _perm_label(item)
    return str(item)


def _ends(through: type[models.Model]) -> tuple[FK, FK]:
    """The holder (the model declaring the m2m) and item foreign keys of an m2m through table."""
    holder, item = [f for f in through._meta.fields if isinstance(f, models.ForeignKey)]
    return holder, item


def _pair_events(
    through: type[models.Model], pairs: Iterable[tuple[Any, Any]], added: bool, actor: Any
) -> list[EventFields]:
    holder_fk, item_fk = _ends(through)
    by_holder: dict[Any, list[Any]] = defaultdict(list)
    for holder_pk, item_pk in pairs:
        by_holder[holder_pk].append(item_pk)
    holder_model = cast(type[models.Model], holder_fk.related_model)
    item_model = cast(type[models.Model], item_fk.related_model)
    holders = holder_model._default_manager.in_bulk(list(by_holder))
    item_ids = {pk for pks in by_holder.values() for pk in pks}
    items = item_model._default_manager.in_bulk(list(item_ids))
    if item_model is Group:
        action, key = ("group.member_added" if added else "group.member_removed"), "groups"
    else:
        action, key = ("permission.granted" if added else "permission.revoked"), "permissions"
    return [
        {
            "action": action,
            "actor": actor,
            "target": holders.get(holder_pk),
            "target_type": holder_model._meta.label_lower,
            "target_id": str(holder_pk),
            "details": {key: sorted(_label(items[pk]) for pk in item_pks if pk in items)},
        }
        for holder_pk, item_pks in by_holder.items()
    ]


def on_m2m_changed(current_user: CurrentUser) -> Callable[..., None]:
    """A receiver for the m2m_changed signal of one permission or membership through table."""

    def receiver(
        sender: type[models.Model],
        instance: models.Model,
        action: str,
        reverse: bool,
        pk_set: set[Any] | None,
        **kwargs: Any,
    ) -> None:
        holder_fk, item_fk = _ends(sender)
        if action == "pre_clear":  # after the clear the rows are gone: remember them now
            side = item_fk if reverse else holder_fk
            rows = sender._default_manager.filter(**{side.attname: instance.pk})
            instance._audit_cleared = list(  # type: ignore[attr-defined]
                rows.values_list(holder_fk.attname, item_fk.attname)
            )
            return
        if action == "post_clear":
            pairs = instance.__dict__.pop("_audit_cleared", [])
        elif action in ("post_add", "post_remove"):
            pk = instance.pk
            pairs = [(other, pk) if reverse else (pk, other) for other in pk_set or ()]
        else:
            return
        if pairs:
            record_many(_pair_events(sender, pairs, action == "post_add", current_user()))

    return receiver


def object_permission_event(obj: Any, granted: bool, actor: Any) -> EventFields:
    """A guardian UserObjectPermission / GroupObjectPermission row as a grant or revoke event."""
    ct = ContentType.objects.get_for_id(obj.content_type_id)
    holder = ("user", obj.user) if hasattr(obj, "user_id") else ("group", obj.group)
    model = ct.model_class()
    target = model._default_manager.filter(pk=obj.object_pk).first() if model else None
    is_workflow = ct.app_label == "workflows" and ct.model == "workflow"
    return {
        "action": "object_permission.granted" if granted else "object_permission.revoked",
        "actor": actor,
        "target_type": f"{ct.app_label}.{ct.model}",
        "target_id": str(obj.object_pk),
        "target_label": str(target) if target is not None else str(obj.object_pk),
        "workflow_id": int(obj.object_pk) if is_workflow and str(obj.object_pk).isdigit() else None,
        "details": {
            "permission": _perm_label(obj.permission),
            holder[0]: _label(holder[1]),
        },
    }


def on_object_permission(current_user: CurrentUser, *, granted: bool) -> Callable[..., None]:
    """A post_save (granted) or post_delete (revoked) receiver for guardian's permission rows."""

    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        if granted and (not kwargs.get("created") or kwargs.get("raw")):
            return
        record(**object_permission_event(instance, granted, current_user()))

    return receiver
