"""LDAP / Active Directory connector (ldap3): group membership by DN and account disable/enable.

Users are found by DN or by any of `user_attributes` (AD: sAMAccountName, userPrincipalName,
mail; OpenLDAP: uid, mail). Membership is checked with an LDAP compare before a change, so an
unchanged state is ALREADY and a dry run only reads. `provision_access`/`revoke_access` with
resource "account" enable/disable the account:
- `flavor: ad`: the ACCOUNTDISABLE bit (0x2) of userAccountControl;
- `flavor: openldap`: OpenLDAP has no standard enabled flag, so by default the ppolicy overlay's
  permanent lock, `pwdAccountLockedTime: 000001010000Z` (slapo-ppolicy(5); the applying policy
  needs `pwdLockout: TRUE`), which makes binds fail until an administrator removes it. Another
  attribute/value can be configured with `disable: {attribute, disabled_value, enabled_value}`
  (enabled_value null: the attribute is deleted to enable).
Connections are pooled (connectors.ldap_pool); LDAPS comes from an ldaps:// URL, StartTLS from
`start_tls: true`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ldap3
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

from connectors import ldap_pool
from connectors.base import CallOptions, ConnectorError, Outcome, Result
from connectors.directory import (
    DirectoryConnector,
    membership_done,
    membership_plan,
    membership_unchanged,
)
from connectors.retry import retrying

UAC_ACCOUNTDISABLE = 0x2
OPENLDAP_DISABLE = {
    "attribute": "pwdAccountLockedTime",
    "disabled_value": "000001010000Z",
    "enabled_value": None,
}
USER_ATTRIBUTES = {
    "ad": ["sAMAccountName", "userPrincipalName", "mail"],
    "openldap": ["uid", "mail"],
}
TRANSIENT = (
    ldap_errors.LDAPCommunicationError,
    ldap_errors.LDAPBusyResult,
    ldap_errors.LDAPUnavailableResult,
)
ALREADY_ERRORS = (
    ldap_errors.LDAPAttributeOrValueExistsResult,
    ldap_errors.LDAPEntryAlreadyExistsResult,  # AD's answer to a duplicate member
    ldap_errors.LDAPNoSuchAttributeResult,
)


@dataclass(frozen=True)
class Entry:
    dn: str
    attributes: dict[str, list[str]]

    def first(self, name: str) -> str | None:
        for key, values in self.attributes.items():
            if key.lower() == name.lower() and values:
                return str(values[0]) if isinstance(values, list) else str(values)
        return None


def _tls_failure(exc: BaseException) -> bool:
    """A certificate or handshake failure: retrying will not help, the config must change."""
    text = str(exc).lower()
    return any(word in text for word in ("certificate", "ssl", "tls"))


def _is_dn(value: str) -> bool:
    try:
        return "=" in value and bool(parse_dn(value))
    except ldap_errors.LDAPInvalidDnError:
        return False


class LdapConnector(DirectoryConnector):
    type_name = "ldap"
    label = "LDAP / Active Directory"
    operations = DirectoryConnector.operations | {"remove_all_groups"}
    config_schema = {
        "type": "object",
        "required": ["url", "bind_dn", "base_dn"],
        "additionalProperties": False,
        "properties": {
            "url": {"type": "string", "pattern": "^ldaps?://"},
            "bind_dn": {"type": "string"},
            "base_dn": {"type": "string"},
            "user_base_dn": {"type": "string"},
            "group_base_dn": {"type": "string"},
            "flavor": {"enum": ["ad", "openldap"]},
            "user_attributes": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "group_attribute": {"type": "string"},
            "member_attribute": {"type": "string"},
            "disable": {
                "type": "object",
                "required": ["attribute", "disabled_value"],
                "properties": {
                    "attribute": {"type": "string"},
                    "disabled_value": {"type": "string"},
                    "enabled_value": {"type": ["string", "null"]},
                },
            },
            "start_tls": {"type": "boolean"},
            "verify_tls": {"type": "boolean"},
            "ca_file": {"type": "string"},
            "pool_size": {"type": "integer", "minimum": 1, "maximum": 50},
        },
    }
    secret_fields = ("password",)

    @property
    def flavor(self) -> str:
        return str(self.config.get("flavor", "openldap"))

    @property
    def disable(self) -> dict[str, Any]:
        return dict(self.config.get("disable") or OPENLDAP_DISABLE)

    def _run(self, work: Any) -> Any:
        """Run `work(conn)` on a pooled connection, retrying transient failures in the budget."""
        password = self.secrets.get("password", "")
        return retrying(
            lambda: ldap_pool.with_connection(self.config, password, work),
            retry_on=TRANSIENT,
            unless=_tls_failure,
        )

    def translate(self, exc: Exception) -> ConnectorError | None:
        if isinstance(exc, ldap_errors.LDAPInvalidCredentialsResult):
            return ConnectorError(
                f"bind as {self.config.get('bind_dn')} refused: invalid credentials "
                "(check the bind DN and password)"
            )
        if isinstance(exc, ldap_errors.LDAPOperationResult):
            detail = f"LDAP {exc.description}: {exc.message}".rstrip(": ")
            return ConnectorError(detail, retryable=isinstance(exc, TRANSIENT))
        if isinstance(exc, ldap_errors.LDAPCommunicationError) and _tls_failure(exc):
            return ConnectorError(f"LDAP TLS failure (check ca_file/verify_tls): {exc}")
        if isinstance(exc, ldap_errors.LDAPCommunicationError):
            return ConnectorError(f"LDAP server unreachable: {exc}", retryable=True)
        if isinstance(exc, ldap_errors.LDAPException):
            return ConnectorError(f"LDAP error: {exc}")
        return None

    # Reads -------------------------------------------------------------------------------------

    def _state_attributes(self) -> list[str]:
        state = "userAccountControl" if self.flavor == "ad" else self.disable["attribute"]
        return ["cn", "mail", "uid", "sAMAccountName", "memberOf", state]

    def find_user(self, conn: ldap3.Connection, user: str) -> Entry | None:
        attributes = self._state_attributes()
        if _is_dn(user):
            try:
                conn.search(user, "(objectClass=*)", ldap3.BASE, attributes=attributes)
            except ldap_errors.LDAPNoSuchObjectResult:
                return None
        else:
            names = self.config.get("user_attributes") or USER_ATTRIBUTES[self.flavor]
            value = escape_filter_chars(user)
            query = "(|" + "".join(f"({name}={value})" for name in names) + ")"
            base = self.config.get("user_base_dn", self.config["base_dn"])
            conn.search(base, query, ldap3.SUBTREE, attributes=attributes, size_limit=2)
        found = [
            Entry(r["dn"], dict(r["attributes"]))
            for r in conn.response or []
            if r.get("type") == "searchResEntry"
        ]
        if len(found) > 1:
            raise ConnectorError(f"more than one LDAP entry matches {user!r}")
        return found[0] if found else None

    def group_dn(self, conn: ldap3.Connection, group: str) -> str:
        if _is_dn(group):
            return group
        name = self.config.get("group_attribute", "cn")
        base = self.config.get("group_base_dn", self.config["base_dn"])
        conn.search(
            base,
            f"({name}={escape_filter_chars(group)})",
            ldap3.SUBTREE,
            attributes=[],
            size_limit=2,
        )
        found = [r["dn"] for r in conn.response or [] if r.get("type") == "searchResEntry"]
        if len(found) != 1:
            raise ConnectorError(f"{len(found) or 'no'} LDAP group(s) named {group!r}")
        return str(found[0])

    def is_disabled(self, entry: Entry) -> bool:
        if self.flavor == "ad":
            return bool(int(entry.first("userAccountControl") or 0) & UAC_ACCOUNTDISABLE)
        value = entry.first(self.disable["attribute"])
        return value is not None and value == self.disable["disabled_value"]

    # Operations --------------------------------------------------------------------------------

    def op_get_user(self, *, user: str, options: CallOptions, **_: Any) -> Result:
        entry = self._run(lambda conn: self.find_user(conn, user))
        if entry is None:
            return Result(Outcome.PERMANENT, f"no LDAP entry matches {user!r}")
        data: dict[str, Any] = {"dn": entry.dn, "disabled": self.is_disabled(entry)}
        for name in ("cn", "mail", "uid", "sAMAccountName"):
            if entry.first(name) is not None:
                data[name] = entry.first(name)
        member_of: list[str] = next(
            (v for k, v in entry.attributes.items() if k.lower() == "memberof"), []
        )
        data["memberOf"] = [str(dn) for dn in member_of]
        return Result(Outcome.ALREADY, f"found {entry.dn}", data)

    def check(self) -> Result:
        base = self.config["base_dn"]
        self._run(lambda conn: conn.search(base, "(objectClass=*)", ldap3.BASE, attributes=[]))
        return Result(Outcome.ALREADY, f"bound as {self.config['bind_dn']}; {base} is readable")

    # Writes ------------------------------------------------------------------------------------

    def set_membership(self, user: str, group: str, member: bool, options: CallOptions) -> Result:
        attribute = self.config.get("member_attribute", "member")

        def work(conn: ldap3.Connection) -> Result:
            entry = self.find_user(conn, user)
            if entry is None:
                outcome = Outcome.PERMANENT if member else Outcome.ALREADY
                return Result(outcome, f"no LDAP entry matches {user!r}")
            dn = self.group_dn(conn, group)
            data = {"user_dn": entry.dn, "group_dn": dn}
            if bool(conn.compare(dn, attribute, entry.dn)) == member:
                return Result(Outcome.ALREADY, membership_unchanged(user, group, member), data)
            if options.dry_run:
                return Result(Outcome.WOULD_CHANGE, membership_plan(user, group, member), data)
            change = ldap3.MODIFY_ADD if member else ldap3.MODIFY_DELETE
            try:
                conn.modify(dn, {attribute: [(change, [entry.dn])]})
            except ALREADY_ERRORS:  # changed by someone else since the compare
                return Result(Outcome.ALREADY, membership_unchanged(user, group, member), data)
            return Result(Outcome.CHANGED, membership_done(user, group, member), data)

        result: Result = self._run(work)
        return result

    def op_remove_all_groups(self, *, user: str, options: CallOptions, **_: Any) -> Result:
        """A leaver leaves every group whose member attribute names them (searched, not read
        from memberOf, which not every server keeps); each removal is checked first, so a
        retry after a partial run removes only what is left."""
        attribute = self.config.get("member_attribute", "member")
        base = self.config.get("group_base_dn", self.config["base_dn"])

        def work(conn: ldap3.Connection) -> Result:
            entry = self.find_user(conn, user)
            if entry is None:
                return Result(Outcome.ALREADY, f"no LDAP entry matches {user!r}", {"groups": []})
            query = f"({attribute}={escape_filter_chars(entry.dn)})"
            conn.search(base, query, ldap3.SUBTREE, attributes=[])
            groups = sorted(
                str(r["dn"]) for r in conn.response or [] if r.get("type") == "searchResEntry"
            )
            data = {"user_dn": entry.dn, "groups": groups}
            if not groups:
                return Result(Outcome.ALREADY, f"{user} is in no group", data)
            if options.dry_run:
                return Result(
                    Outcome.WOULD_CHANGE, f"would remove {user} from {len(groups)} group(s)", data
                )
            for dn in groups:
                try:
                    conn.modify(dn, {attribute: [(ldap3.MODIFY_DELETE, [entry.dn])]})
                except ALREADY_ERRORS:  # removed by someone else since the search
                    continue
            return Result(Outcome.CHANGED, f"removed {user} from {len(groups)} group(s)", data)

        result: Result = self._run(work)
        return result

    def set_account(self, user: Any, active: bool, options: CallOptions) -> Result:
        verb = "enable" if active else "disable"

        def work(conn: ldap3.Connection) -> Result:
            entry = self.find_user(conn, str(user))
            if entry is None:
                outcome = Outcome.PERMANENT if active else Outcome.ALREADY
                return Result(outcome, f"no LDAP entry matches {user!r}")
            if self.is_disabled(entry) != active:
                return Result(Outcome.ALREADY, f"{user} is already {verb}d", {"dn": entry.dn})
            if options.dry_run:
                return Result(
                    Outcome.WOULD_CHANGE, f"{user}: would {verb} the account", {"dn": entry.dn}
                )
            conn.modify(entry.dn, self._account_change(entry, disable=not active))
            return Result(Outcome.CHANGED, f"{verb}d {user}", {"dn": entry.dn})

        result: Result = self._run(work)
        return result

    def _account_change(self, entry: Entry, disable: bool) -> dict[str, Any]:
        if self.flavor == "ad":
            flags = int(entry.first("userAccountControl") or 0)
            flags = flags | UAC_ACCOUNTDISABLE if disable else flags & ~UAC_ACCOUNTDISABLE
            return {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(flags)])]}
        attribute, enabled = self.disable["attribute"], self.disable.get("enabled_value")
        if disable:
            return {attribute: [(ldap3.MODIFY_REPLACE, [self.disable["disabled_value"]])]}
        if enabled is None:
            return {attribute: [(ldap3.MODIFY_DELETE, [])]}
        return {attribute: [(ldap3.MODIFY_REPLACE, [enabled])]}
