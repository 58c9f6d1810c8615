"""SCIM writes whose answer is lost, against the real scim2-server behind a proxy that forwards a
request and then drops the client's connection: the connector reads the server back instead of
re-sending blindly, so the user is created exactly once, and a 409 to a create (the userName is
taken) is read back as ALREADY, never a permanent failure."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.base import Outcome
from connectors.types.scim import ScimConnector
from tests.connectors.servers import Proxy, ScimServer, unique
from tests.connectors.test_scim__account_and_group_membership import make_group, read

pytestmark = pytest.mark.servers
TIMEOUT = 5.0


def scim(server: ScimServer) -> ScimConnector:
    return ScimConnector(name="scim", config=server.config(), secrets={"token": server.token})


def users_named(server: ScimServer, user_name: str) -> list[dict[str, Any]]:
    found = read(server, "/Users", filter=f'userName eq "{user_name}"')
    return list(found.get("Resources", []))


def create_directly(server: ScimServer, user_name: str) -> None:
    response = requests.post(
        f"{server.base_url}/Users",
        timeout=5,
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name},
        headers={"Authorization": f"Bearer {server.token}"},
    )
    response.raise_for_status()


def test_a_create_whose_answer_is_lost_is_read_back_and_made_once(
    scim_server: ScimServer, scim_proxy: tuple[Proxy, ScimServer]
) -> None:
    proxy, through_proxy = scim_proxy
    alice = unique("alice")
    proxy.once("POST", "/v2/Users", drop=True)

    result = scim(through_proxy).call(
        "provision_access", {"user": alice, "resource": "account"}, timeout=TIMEOUT
    )

    assert result.outcome == Outcome.CHANGED, result.message
    assert result.data["reconciled"] is True
    assert "reconciled: may have been applied" in result.message
    assert "the change is there" in result.message
    assert proxy.sent("POST", "/v2/Users") == 1
    [user] = users_named(scim_server, alice)
    assert user["active"] is True and result.data["id"] == user["id"]

    again = scim(through_proxy).call(
        "provision_access", {"user": alice, "resource": "account"}, timeout=TIMEOUT, reconcile=True
    )

    assert again.outcome == Outcome.CHANGED and again.data["reconciled"] is True
    assert proxy.sent("POST", "/v2/Users") == 1
    assert len(users_named(scim_server, alice)) == 1


def test_a_409_on_create_because_the_user_exists_is_already(
    scim_server: ScimServer, scim_proxy: tuple[Proxy, ScimServer]
) -> None:
    proxy, through_proxy = scim_proxy
    bob = unique("bob")
    # Another client creates bob between the connector's read and its POST.
    proxy.once("POST", "/v2/Users", before=lambda: create_directly(scim_server, bob))

    result = scim(through_proxy).call(
        "provision_access", {"user": bob, "resource": "account"}, timeout=TIMEOUT
    )

    assert result.outcome == Outcome.ALREADY, result.message
    assert "409" in result.message and "read back by userName" in result.message
    assert [status for method, _, status in proxy.log if method == "POST"] == [409]
    [user] = users_named(scim_server, bob)
    assert result.data["id"] == user["id"]


def test_a_deactivation_whose_answer_is_lost_is_reconciled(
    scim_server: ScimServer, scim_proxy: tuple[Proxy, ScimServer]
) -> None:
    proxy, through_proxy = scim_proxy
    carol = unique("carol")
    create_directly(scim_server, carol)
    [user] = users_named(scim_server, carol)
    proxy.once("PATCH", f"/v2/Users/{user['id']}", drop=True)

    result = scim(through_proxy).call(
        "revoke_access", {"user": carol, "resource": "account"}, timeout=TIMEOUT
    )

    assert result.outcome == Outcome.CHANGED, result.message
    assert result.data["reconciled"] is True
    assert proxy.sent("PATCH", f"/v2/Users/{user['id']}") == 1
    assert users_named(scim_server, carol)[0]["active"] is False


def test_a_membership_patch_whose_answer_is_lost_is_reconciled(
    scim_server: ScimServer, scim_proxy: tuple[Proxy, ScimServer]
) -> None:
    proxy, through_proxy = scim_proxy
    dave, desk = unique("dave"), unique("Desk")
    create_directly(scim_server, dave)
    group_id = make_group(scim_server, desk)
    proxy.once("PATCH", f"/v2/Groups/{group_id}", drop=True)

    result = scim(through_proxy).call(
        "add_group_member", {"user": dave, "group": desk}, timeout=TIMEOUT
    )

    assert result.outcome == Outcome.CHANGED, result.message
    assert result.data["reconciled"] is True
    assert proxy.sent("PATCH", f"/v2/Groups/{group_id}") == 1
    members = [m["value"] for m in read(scim_server, f"/Groups/{group_id}").get("members", [])]
    assert members == [users_named(scim_server, dave)[0]["id"]]
