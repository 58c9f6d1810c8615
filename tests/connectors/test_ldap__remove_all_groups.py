"""`remove_all_groups` (the leaver's step) against a real slapd: every group naming the user loses
them and no other member, a dry run only reads, a second call is ALREADY, and an unknown user is
ALREADY with no groups (nothing to remove). Memberships are read back with ldapsearch."""

from __future__ import annotations

import pytest

from connectors.base import Outcome
from tests.connectors.servers import Slapd, unique
from tests.connectors.test_ldap__membership_and_accounts import ldap, member_of, members

pytestmark = pytest.mark.servers
TIMEOUT = 5.0


def test_a_leaver_leaves_every_group_and_nobody_else_does(slapd: Slapd) -> None:
    owner = slapd.add_user(unique("owner"))
    uid = unique("leaver")
    leaver = slapd.add_user(uid)
    groups = [slapd.add_group(unique(name), [owner, leaver]) for name in ("Wiki", "Repos", "Vpn")]
    untouched = slapd.add_group(unique("Other"), [owner])
    connector = ldap(slapd)

    plan = connector.plan("remove_all_groups", {"user": uid}, timeout=TIMEOUT)
    assert plan.outcome == Outcome.WOULD_CHANGE and sorted(plan.data["groups"]) == sorted(groups)
    assert sorted(member_of(slapd, leaver)) == sorted(groups)

    done = connector.call("remove_all_groups", {"user": uid}, timeout=TIMEOUT)
    assert done.outcome == Outcome.CHANGED, done.message
    assert sorted(done.data["groups"]) == sorted(groups)
    for dn in groups:
        assert members(slapd, dn) == [owner]
    assert members(slapd, untouched) == [owner]
    assert member_of(slapd, leaver) == []

    again = connector.call("remove_all_groups", {"user": uid}, timeout=TIMEOUT)
    assert again.outcome == Outcome.ALREADY and again.data["groups"] == []


def test_an_unknown_user_has_nothing_to_remove(slapd: Slapd) -> None:
    result = ldap(slapd).call("remove_all_groups", {"user": unique("nobody")}, timeout=TIMEOUT)
    assert result.outcome == Outcome.ALREADY and result.data == {"groups": []}
