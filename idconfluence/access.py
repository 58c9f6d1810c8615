"""One choke point per object type: who may do what to which object.

Every entry point (admin querysets and buttons, API views, the builder's calls, approval pages,
management commands acting for a person) asks the `Rules` of its model, never `has_perm`
directly, so a rule changes in one place. A model permission held globally (through a group)
covers every object; otherwise django-guardian's object permission on the object decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from guardian.shortcuts import get_objects_for_user

M = TypeVar("M", bound=Model)


class Denied(PermissionDenied):
    """Refused, with a sentence saying what was missing (shown as the API's JSON message)."""


@dataclass(frozen=True)
class Rules(Generic[M]):
    model: type[M]
    perms: dict[str, str]  # action -> "app_label.codename"

    def perm(self, action: str) -> str:
        try:
            return self.perms[action]
        except KeyError:
            raise ValueError(f"{self.model.__name__} has no action {action!r}") from None

    def can(self, user: Any, action: str, obj: M | None = None) -> bool:
        """Globally (model permission) or on this object (guardian)."""
        if not (user and user.is_active):
            return False
        perm = self.perm(action)
        if user.has_perm(perm):
            return True
        return obj is not None and user.has_perm(perm, obj)

    def require(self, user: Any, action: str, obj: M | None = None) -> None:
        if not self.can(user, action, obj):
            label = self.model._meta.verbose_name
            what = f"{label} {obj}" if obj is not None else f"{label}s"
            raise Denied(f"You may not {action} {what}.")

    def visible(
        self, user: Any, action: str = "view", queryset: QuerySet[M] | None = None
    ) -> QuerySet[M]:
        """The objects `user` may `action`: all with the model permission, else their grants."""
        base = queryset if queryset is not None else self.model._default_manager.all()
        if not (user and user.is_active):
            return base.none()
        return get_objects_for_user(
            user, self.perm(action), klass=base, accept_global_perms=True, with_superuser=True
        )
