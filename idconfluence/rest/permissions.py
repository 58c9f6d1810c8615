"""DRF permissions over the choke point (`idconfluence.access.Rules`).

A view names its `rules` and, per DRF action, the rule action it needs (`rule_actions`).
Querysets are already cut to what the user may view (so an object out of sight is a 404);
an object in sight that the user may not act on is a 403 whose message says what is missing.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from idconfluence.access import Rules


def rule_action(view: Any) -> str:
    actions: dict[str, str] = getattr(view, "rule_actions", {})
    return actions.get(getattr(view, "action", "") or "", "view")


def rules_object(view: Any, obj: Any) -> Any:
    """The object the rule is asked about (a run's or execution's workflow, say)."""
    pick = getattr(view, "rules_object", None)
    return pick(obj) if pick is not None else obj


class FollowsRules(BasePermission):
    """The rule of the view's action on the object, through `Rules.require` (403 with why)."""

    def has_object_permission(self, request: Any, view: Any, obj: Any) -> bool:
        rules: Rules[Any] = view.rules
        rules.require(request.user, rule_action(view), rules_object(view, obj))
        return True


class TokenScope(BasePermission):
    """A read-scoped token reads; writing takes a write-scoped token (or the console's session)."""

    message = "This token is read-only (scope 'read'); writing needs a token with scope 'write'."

    def has_permission(self, request: Any, view: Any) -> bool:
        scope = getattr(request.auth, "scope", None)
        return scope is None or scope == "write" or request.method in SAFE_METHODS
