"""SCIM connector against a real scim2-server: each step is confirmed by reading the server back."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.base import Outcome
from connectors.types.scim import ScimConnector
from tests.connectors.servers import ScimServer, unique

pytestmark = pytest.mark.servers
TIMEOUT = 5.0


def scim(server: ScimServer, token: str | None = None) -> ScimConnector:
    return ScimConnector(
        name="scim", config=server.config(), secrets={"token": token or server.token}
    )


def read(server: ScimServer, path: str, **params: Any) -> dict[str, Any]:
    """Independent read of the server's state, with plain HTTP."""
    response = requests.get(
        f"{server.base_url}{path}",
        params=params,
        timeout=5,
        headers={"Authorization": f"Bearer {server.token}"},
    )
    response.raise_for_status()
    return response.json()


def server_user(server: ScimServer, user_name: str) -> dict[str, Any]:
    found = read(server, "/Users", filter=f'userName eq "{user_name}"')
    assert found["totalResults"] == 1
    return found["Resources"][0]


def server_group_members(server: ScimServer, group_id: str) -> list[str]:
    return [m["value"] for m in read(server, f"/Groups/{group_id}").get("members", [])]


def make_group(server: ScimServer, name: str) -> str:
    response = requests.post(
        f"{server.base_url}/Groups",
        timeout=5,
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name},
        headers={"Authorization": f"Bearer {server.token}"},
    )
    response.raise_for_status()
    return str(response.json()["id"])


def test_create_add_add_again_remove_deactivate(scim_server: ScimServer) -> None:
    connector = scim(scim_server)
    alice, desk = unique("alice"), unique("Trading-Desk")
    group_id = make_group(scim_server, desk)

    created = connector.call(
        "provision_access", {"user": alice, "resource": "account"}, timeout=TIMEOUT
    )
    assert created.outcome == Outcome.CHANGED, created.message
    user_id = server_user(scim_server, alice)["id"]
    assert server_user(scim_server, alice)["active"] is True

    added = connector.call("add_group_member", {"user": alice, "group": desk}, timeout=TIMEOUT)
    assert added.outcome == Outcome.CHANGED, added.message
    assert server_group_members(scim_server, group_id) == [user_id]

    again = connector.call("add_group_member", {"user": alice, "group": desk}, timeout=TIMEOUT)
    assert again.outcome == Outcome.ALREADY
    assert server_group_members(scim_server, group_id) == [user_id]

    removed = connector.call("remove_group_member", {"user": alice, "group": desk}, timeout=TIMEOUT)
    assert removed.outcome == Outcome.CHANGED, removed.message
    assert server_group_members(scim_server, group_id) == []

    removed_again = connector.call(
        "remove_group_member", {"user": alice, "group": desk}, timeout=TIMEOUT
    )
    assert removed_again.outcome == Outcome.ALREADY

    deactivated = connector.call(
        "revoke_access", {"user": alice, "resource": "account"}, timeout=TIMEOUT
    )
    assert deactivated.outcome == Outcome.CHANGED, deactivated.message
    assert server_user(scim_server, alice)["active"] is False
    assert (
        connector.call(
            "revoke_access", {"user": alice, "resource": "account"}, timeout=TIMEOUT
        ).outcome
        == Outcome.ALREADY
    )


def test_find_user_by_user_name_or_external_id(scim_server: ScimServer) -> None:
    connector = scim(scim_server)
    bob, external = unique("bob"), unique("hr")
    user = {"userName": bob, "externalId": external, "email": f"{bob}@example.org"}
    assert connector.call(
        "provision_access", {"user": user, "resource": "account"}, timeout=TIMEOUT
    ).ok

    by_name = connector.call("get_user", {"user": bob}, timeout=TIMEOUT)
    by_external = connector.call("get_user", {"user": external}, timeout=TIMEOUT)
    assert by_name.data["id"] == by_external.data["id"] == server_user(scim_server, bob)["id"]
    assert by_external.data["externalId"] == external


def test_dry_run_reads_state_and_writes_nothing(scim_server: ScimServer) -> None:
    connector = scim(scim_server)
    carol, desk = unique("carol"), unique("Desk")
    group_id = make_group(scim_server, desk)
    connector.call("provision_access", {"user": carol, "resource": "account"}, timeout=TIMEOUT)

    plan = connector.plan("add_group_member", {"user": carol, "group": desk}, timeout=TIMEOUT)
    assert plan.outcome == Outcome.WOULD_CHANGE
    assert plan.message == f"{carol} is not in {desk}; would add"
    assert server_group_members(scim_server, group_id) == []

    connector.call("add_group_member", {"user": carol, "group": desk}, timeout=TIMEOUT)
    assert (
        connector.plan("add_group_member", {"user": carol, "group": desk}, timeout=TIMEOUT).outcome
        == Outcome.ALREADY
    )
    deactivate = connector.plan(
        "revoke_access", {"user": carol, "resource": "account"}, timeout=TIMEOUT
    )
    assert deactivate.outcome == Outcome.WOULD_CHANGE
    assert server_user(scim_server, carol)["active"] is True


def test_wrong_token_is_a_permanent_error_with_the_servers_message(
    scim_server: ScimServer,
) -> None:
    result = scim(scim_server, token="wrong-token-value").call(
        "get_user", {"user": "anyone"}, timeout=TIMEOUT
    )
    assert result.outcome == Outcome.PERMANENT
    assert "401" in result.message
    assert "Authorization" in result.message
    assert result.attempts == 1
    assert "wrong-token-value" not in result.message


def test_unknown_group_fails_permanently(scim_server: ScimServer) -> None:
    connector = scim(scim_server)
    dave = unique("dave")
    connector.call("provision_access", {"user": dave, "resource": "account"}, timeout=TIMEOUT)
    result = connector.call(
        "add_group_member", {"user": dave, "group": "no-such-group"}, timeout=TIMEOUT
    )
    assert result.outcome == Outcome.PERMANENT
    assert "no SCIM group named 'no-such-group'" in result.message


def test_test_connection_checks_credentials(scim_server: ScimServer) -> None:
    assert scim(scim_server).test_connection(timeout=TIMEOUT).ok
    assert not scim(scim_server, token="bad-token-123").test_connection(timeout=TIMEOUT).ok
