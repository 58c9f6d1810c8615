"""One choke point per object type: who may do what to which object.

Every entry point (admin querysets and buttons, API views, the builder's calls, approval pages,
management commands acting for a person) asks the `Rules` of its model, never `has_perm`
directly, so a rule changes in one place. A model permission held globally (through a group)
covers every object; otherwise django-guardian's object permission on the object decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from guardian.shortcuts import assign_perm, get_objects_for_user

M = TypeVar("M", bound=Model)


class Denied(PermissionDenied):
    """Refused, with a sentence saying what was missing (shown as the API's JSON message)."""


def is_person(actor: Any) -> bool:
    """A signed-in person (a rule applies); None or a system label is the product acting itself
    (a schedule, a webhook, a command run without --user by whoever holds the shell)."""
    return bool(getattr(actor, "is_authenticated", False))


def read_only(user: Any) -> bool:
    """A reader (the Auditors role): holds view permissions and nothing else, so no page that
    is open to any staff member (an out-of-office delegation, say) lets them change anything."""
    if not (user and user.is_active) or user.is_superuser:
        return False
    perms = user.get_all_permissions()
    return bool(perms) and all(p.split(".", 1)[1].startswith("view_") for p in perms)


@dataclass(frozen=True)
class Rules(Generic[M]):
    model: type[M]
    perms: dict[str, str]  # action -> "app_label.codename"
    #: the object permissions a creator receives on what they create (guardian rows)
    owner_actions: tuple[str, ...] = field(default=())

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

    def can_any(self, user: Any, action: str) -> bool:
        """Globally, or on at least one object: may the list page or the button be offered."""
        if self.can(user, action):
            return True
        return bool(user and user.is_active) and self.visible(user, action).exists()

    def require(self, user: Any, action: str, obj: M | None = None) -> None:
        if not self.can(user, action, obj):
            label = self.model._meta.verbose_name
            what = f"{label} {obj}" if obj is not None else f"{label}s"
            raise Denied(f"You may not {action} {what}.")

    def require_person(self, actor: Any, action: str, obj: M | None = None) -> None:
        """`require` when a person acts; the product acting itself (no person) is not checked."""
        if is_person(actor):
            self.require(actor, action, obj)

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

    def grant(self, to: Any, obj: M, actions: Iterable[str]) -> None:
        """Give a user or a group object permissions on `obj` (audited as a permission event)."""
        if not (isinstance(to, Group) or is_person(to)):
            return
        for action in actions:
            assign_perm(self.perm(action), to, obj)

    def grant_creator(self, actor: Any, obj: M) -> None:
        """The person who created `obj` may go on working on it without a global permission."""
        self.grant(actor, obj, self.owner_actions)
