"""The operations directory-like connector types (SCIM, LDAP) share: accounts and group membership.

A type implements `set_account(user, active, options)` and `set_membership(user, group, member,
options)`, each reading the current state first so an unchanged state is ALREADY and a dry run
only reads; this class maps the block operations onto them. `provision_access`/`revoke_access`
act on the account itself, so their resource must be "account"; groups go through
`add_group_member`/`remove_group_member`.
"""

from __future__ import annotations

from typing import Any

from connectors.base import CallOptions, ConnectorError, Result
from connectors.retry import BudgetedConnector

ACCOUNT = "account"


class DirectoryConnector(BudgetedConnector):
    operations = frozenset(
        {"get_user", "provision_access", "revoke_access", "add_group_member", "remove_group_member"}
    )

    def set_account(self, user: Any, active: bool, options: CallOptions) -> Result:
        raise NotImplementedError

    def set_membership(self, user: str, group: str, member: bool, options: CallOptions) -> Result:
        raise NotImplementedError

    def _account(self, user: Any, resource: str, active: bool, options: CallOptions) -> Result:
        if resource != ACCOUNT:
            raise ConnectorError(
                f"{self.label} provisions only the resource {ACCOUNT!r} (the account itself); "
                "use add_group_member for groups"
            )
        return self.set_account(user, active, options)

    def op_provision_access(
        self, *, user: Any, resource: str, options: CallOptions, **_: Any
    ) -> Result:
        return self._account(user, resource, True, options)

    def op_revoke_access(
        self, *, user: Any, resource: str, options: CallOptions, **_: Any
    ) -> Result:
        return self._account(user, resource, False, options)

    def op_add_group_member(
        self, *, user: str, group: str, options: CallOptions, **_: Any
    ) -> Result:
        return self.set_membership(user, group, True, options)

    def op_remove_group_member(
        self, *, user: str, group: str, options: CallOptions, **_: Any
    ) -> Result:
        return self.set_membership(user, group, False, options)


def membership_plan(user: str, group: str, member: bool) -> str:
    """The dry-run message, the same for every directory type."""
    if member:
        return f"{user} is not in {group}; would add"
    return f"{user} is in {group}; would remove"


def membership_done(user: str, group: str, member: bool) -> str:
    return f"added {user} to {group}" if member else f"removed {user} from {group}"


def membership_unchanged(user: str, group: str, member: bool) -> str:
    return f"{user} is already in {group}" if member else f"{user} is not in {group}"
