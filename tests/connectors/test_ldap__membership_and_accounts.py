"""LDAP connector against a real slapd (memberof, refint, ppolicy); each step is read back."""

from __future__ import annotations

import subprocess

import ldap3
import pytest
from ldap3.core.exceptions import LDAPInvalidCredentialsResult

from connectors.base import Outcome
from connectors.types.ldap import LdapConnector
from tests.connectors.servers import Slapd, unique

pytestmark = pytest.mark.servers
TIMEOUT = 5.0


def ldap(server: Slapd, *, password: str | None = None, **config: object) -> LdapConnector:
    return LdapConnector(
        name="ldap",
        config=server.config(**config),
        secrets={"password": password or server.admin_password},
    )


def members(server: Slapd, group_dn: str) -> list[str]:
    """The group's members as `ldapsearch` (not ldap3, not the connector) sees them."""
    output = subprocess.run(
        [
            "ldapsearch",
            "-LLL",
            "-x",
            "-H",
            server.url,
            "-D",
            server.admin_dn,
            "-w",
            server.admin_password,
            "-b",
            group_dn,
            "-s",
            "base",
            "member",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.split(": ", 1)[1] for line in output.splitlines() if line.startswith("member:")]


def member_of(server: Slapd, user_dn: str) -> list[str]:
    with server.admin() as conn:
        conn.search(user_dn, "(objectClass=*)", ldap3.BASE, attributes=["memberOf"])
        return [str(dn) for dn in conn.entries[0].memberOf.values]


def can_bind(server: Slapd, dn: str, password: str) -> bool:
    try:
        ldap3.Connection(server.url, dn, password, auto_bind=True, raise_exceptions=True).unbind()
    except LDAPInvalidCredentialsResult:
        return False
    return True


def test_add_add_again_and_remove_member(slapd: Slapd) -> None:
    owner = slapd.add_user(unique("owner"))
    alice_uid = unique("alice")
    alice = slapd.add_user(alice_uid)
    desk = unique("Trading-Desk")
    desk_dn = slapd.add_group(desk, [owner])
    connector = ldap(slapd)

    added = connector.call("add_group_member", {"user": alice_uid, "group": desk}, timeout=TIMEOUT)
    assert added.outcome == Outcome.CHANGED, added.message
    assert alice in members(slapd, desk_dn)
    assert member_of(slapd, alice) == [desk_dn]  # the memberof overlay saw a real change

    again = connector.call("add_group_member", {"user": alice, "group": desk_dn}, timeout=TIMEOUT)
    assert again.outcome == Outcome.ALREADY
    assert members(slapd, desk_dn) == [owner, alice]

    removed = connector.call(
        "remove_group_member", {"user": f"{alice_uid}@example.org", "group": desk}, timeout=TIMEOUT
    )
    assert removed.outcome == Outcome.CHANGED, removed.message
    assert members(slapd, desk_dn) == [owner]
    assert (
        connector.call(
            "remove_group_member", {"user": alice_uid, "group": desk}, timeout=TIMEOUT
        ).outcome
        == Outcome.ALREADY
    )


def test_dry_run_reads_membership_and_writes_nothing(slapd: Slapd) -> None:
    alice_uid = unique("alice")
    slapd.add_user(alice_uid)
    desk = unique("Desk")
    desk_dn = slapd.add_group(desk, [slapd.add_user(unique("owner"))])

    plan = ldap(slapd).plan("add_group_member", {"user": alice_uid, "group": desk}, timeout=TIMEOUT)
    assert plan.outcome == Outcome.WOULD_CHANGE
    assert plan.message == f"{alice_uid} is not in {desk}; would add"
    assert len(members(slapd, desk_dn)) == 1


def test_disable_and_enable_openldap_account_with_ppolicy_lock(slapd: Slapd) -> None:
    uid = unique("leaver")
    dn = slapd.add_user(uid, password="leaver-pw")
    connector = ldap(slapd)
    assert can_bind(slapd, dn, "leaver-pw")

    disabled = connector.call(
        "revoke_access", {"user": uid, "resource": "account"}, timeout=TIMEOUT
    )
    assert disabled.outcome == Outcome.CHANGED, disabled.message
    assert not can_bind(slapd, dn, "leaver-pw")
    assert connector.call("get_user", {"user": uid}, timeout=TIMEOUT).data["disabled"] is True
    assert (
        connector.call(
            "revoke_access", {"user": uid, "resource": "account"}, timeout=TIMEOUT
        ).outcome
        == Outcome.ALREADY
    )

    enabled = connector.call(
        "provision_access", {"user": uid, "resource": "account"}, timeout=TIMEOUT
    )
    assert enabled.outcome == Outcome.CHANGED
    assert can_bind(slapd, dn, "leaver-pw")


def test_ad_mode_finds_by_sam_account_name_and_sets_user_account_control(slapd: Slapd) -> None:
    uid = unique("adsam")
    dn = slapd.add_user(uid, ad=True)
    connector = ldap(slapd, flavor="ad", user_attributes=["sAMAccountName", "mail"])

    found = connector.call("get_user", {"user": f"{uid}.ad"}, timeout=TIMEOUT)
    assert found.data["dn"] == dn
    assert found.data["disabled"] is False

    assert (
        connector.call(
            "revoke_access", {"user": f"{uid}.ad", "resource": "account"}, timeout=TIMEOUT
        ).outcome
        == Outcome.CHANGED
    )
    with slapd.admin() as conn:
        conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["userAccountControl"])
        assert int(conn.entries[0].userAccountControl.value) == 512 | 2
    plan = connector.plan(
        "provision_access", {"user": f"{uid}.ad", "resource": "account"}, timeout=TIMEOUT
    )
    assert plan.outcome == Outcome.WOULD_CHANGE


def test_wrong_bind_password_is_a_clear_permanent_error(slapd: Slapd) -> None:
    result = ldap(slapd, password="not-the-password").call(
        "add_group_member", {"user": "anyone", "group": "any"}, timeout=TIMEOUT
    )
    assert result.outcome == Outcome.PERMANENT
    assert result.message == (
        f"bind as {slapd.admin_dn} refused: invalid credentials (check the bind DN and password)"
    )
    assert result.attempts == 1
    assert not ldap(slapd, password="not-the-password").test_connection(timeout=TIMEOUT).ok
    assert ldap(slapd).test_connection(timeout=TIMEOUT).ok


def test_unreachable_directory_is_retried_within_the_timeout(slapd: Slapd) -> None:
    from tests.connectors.servers import free_port

    connector = LdapConnector(
        name="ldap",
        config={"url": f"ldap://127.0.0.1:{free_port()}", "bind_dn": "cn=x", "base_dn": "dc=x"},
        secrets={"password": "pw-never-used"},
    )
    result = connector.call("get_user", {"user": "alice"}, timeout=0.8)
    assert result.outcome == Outcome.RETRYABLE
    assert result.attempts > 1
    assert result.duration_ms < 1300
