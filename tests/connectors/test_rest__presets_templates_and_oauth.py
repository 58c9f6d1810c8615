"""REST presets (Microsoft Graph, Okta), request templates and OAuth2 client credentials."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import Outcome
from connectors.types.rest import RestConnector

pytestmark = pytest.mark.servers
MEMBER = {"user": "u-1", "group": "g-1"}


def connector(config: dict[str, Any], **secrets: str) -> RestConnector:
    return RestConnector(name="rest", config=config, secrets=secrets or {"token": "tok-9876"})


def test_msgraph_add_member_posts_odata_ref_and_a_duplicate_is_already(http_server: Any) -> None:
    base = http_server.url_for("/v1.0")
    graph = connector({"base_url": base, "preset": "msgraph", "auth": "bearer"})
    ref = {"@odata.id": f"{base}/directoryObjects/u-1"}
    http_server.expect_oneshot_request(
        "/v1.0/groups/g-1/members/$ref",
        "POST",
        json=ref,
        headers={"Authorization": "Bearer tok-9876"},
    ).respond_with_data("", status=204)
    http_server.expect_oneshot_request("/v1.0/groups/g-1/members/$ref", "POST").respond_with_json(
        {
            "error": {
                "code": "Request_BadRequest",
                "message": "One or more added object "
                "references already exist for the following modified properties: 'members'.",
            }
        },
        status=400,
    )

    assert graph.call("add_group_member", MEMBER, timeout=3).outcome == Outcome.CHANGED
    assert graph.call("add_group_member", MEMBER, timeout=3).outcome == Outcome.ALREADY
    http_server.check_assertions()


def test_msgraph_remove_member_deletes_ref_and_a_missing_member_is_already(
    http_server: Any,
) -> None:
    graph = connector(
        {"base_url": http_server.url_for("/v1.0"), "preset": "msgraph", "auth": "bearer"}
    )
    path = "/v1.0/groups/g-1/members/u-1/$ref"
    http_server.expect_oneshot_request(path, "DELETE").respond_with_data("", status=204)
    http_server.expect_oneshot_request(path, "DELETE").respond_with_json(
        {"error": {"code": "Request_ResourceNotFound", "message": "does not exist"}}, status=404
    )

    assert graph.call("remove_group_member", MEMBER, timeout=3).outcome == Outcome.CHANGED
    assert graph.call("remove_group_member", MEMBER, timeout=3).outcome == Outcome.ALREADY


def test_okta_reads_the_users_groups_before_put_so_a_member_is_already(http_server: Any) -> None:
    okta = connector({"base_url": http_server.url_for(""), "preset": "okta", "auth": "bearer"})
    groups = "/api/v1/users/u-1/groups"
    http_server.expect_oneshot_request(groups).respond_with_json([{"id": "g-other"}])
    http_server.expect_oneshot_request("/api/v1/groups/g-1/users/u-1", "PUT").respond_with_data(
        "", status=204
    )
    http_server.expect_oneshot_request(groups).respond_with_json([{"id": "g-1"}])

    assert okta.call("add_group_member", MEMBER, timeout=3).outcome == Outcome.CHANGED
    assert okta.call("add_group_member", MEMBER, timeout=3).outcome == Outcome.ALREADY
    assert [r.method for r, _ in http_server.log] == ["GET", "PUT", "GET"]


def test_okta_dry_run_reads_state_and_writes_nothing(http_server: Any) -> None:
    okta = connector({"base_url": http_server.url_for(""), "preset": "okta", "auth": "bearer"})
    http_server.expect_request("/api/v1/users/u-1/groups").respond_with_json([])

    plan = okta.plan("add_group_member", MEMBER, timeout=3)

    assert plan.outcome == Outcome.WOULD_CHANGE
    assert "would PUT" in plan.message
    assert [r.method for r, _ in http_server.log] == ["GET"]


def test_templates_render_body_and_headers_and_encode_path_values(http_server: Any) -> None:
    custom = connector(
        {
            "base_url": http_server.url_for("/api"),
            "headers": {"X-Request-For": "{{ user.name }}"},
            "operations": {
                "provision_access": {
                    "method": "POST",
                    "path": "/apps/{{ resource }}/grants",
                    "json": {
                        "login": "{{ user.name|lower }}",
                        "roles": "{{ user.roles }}",
                        "note": "granted {{ resource }} to {{ user.name }}",
                    },
                }
            },
        }
    )
    http_server.expect_request(
        "/api/apps/crm/../admin/grants",
        "POST",  # werkzeug matches the decoded path
        json={"login": "alice", "roles": ["sales", "ops"], "note": "granted crm/../admin to Alice"},
        headers={"X-Request-For": "Alice"},
    ).respond_with_json({"id": 7}, status=201)

    result = custom.call(
        "provision_access",
        {
            "user": {"name": "Alice", "roles": ["sales", "ops"]},
            "resource": "crm/../admin",
        },
        timeout=3,
    )

    assert result.outcome == Outcome.CHANGED, result.message
    assert result.data == {"id": 7}
    sent, _ = http_server.log[0]
    assert sent.environ["RAW_URI"] == "/api/apps/crm%2F..%2Fadmin/grants"


def test_an_operation_the_config_does_not_define_is_refused() -> None:
    result = connector({"base_url": "http://127.0.0.1:9"}).call(
        "get_user", {"user": "x"}, timeout=1
    )
    assert result.outcome == Outcome.PERMANENT
    assert "does not support 'get_user'" in result.message


def oauth(http_server: Any, token_path: str, client_id: str, **extra: str) -> dict[str, Any]:
    """Config of a connector using OAuth2 client credentials against the loopback server."""
    return {
        "base_url": http_server.url_for(""),
        "auth": "oauth2_client_credentials",
        "token_url": http_server.url_for(token_path),
        "client_id": client_id,
        "operations": {"get_user": {"method": "GET", "path": "/api/v1/users/{{ user }}"}},
        **extra,
    }


def test_oauth2_client_credentials_token_is_fetched_once_and_cached(http_server: Any) -> None:
    config = oauth(http_server, "/oauth2/token", "idc-client", scope="okta.groups.manage")
    http_server.expect_request("/oauth2/token", "POST").respond_with_json(
        {"access_token": "access-token-from-oauth", "expires_in": 3600, "token_type": "Bearer"}
    )
    http_server.expect_request(
        "/api/v1/users/u-1", headers={"Authorization": "Bearer access-token-from-oauth"}
    ).respond_with_json({"id": "u-1", "status": "ACTIVE"})

    first = connector(config, client_secret="client-secret-xyz")
    second = connector(config, client_secret="client-secret-xyz")
    assert first.call("get_user", {"user": "u-1"}, timeout=3).data["status"] == "ACTIVE"
    assert second.call("get_user", {"user": "u-1"}, timeout=3).ok

    token_requests = [r for r, _ in http_server.log if r.path == "/oauth2/token"]
    assert len(token_requests) == 1
    assert token_requests[0].form["grant_type"] == "client_credentials"
    assert token_requests[0].form["scope"] == "okta.groups.manage"
    assert token_requests[0].authorization.username == "idc-client"


def test_oauth2_token_refused_is_a_permanent_error(http_server: Any) -> None:
    config = oauth(http_server, "/token", "wrong-client")
    http_server.expect_request("/token").respond_with_json(
        {"error": "invalid_client", "error_description": "Client authentication failed"}, status=401
    )

    result = connector(config, client_secret="a-wrong-secret").call(
        "get_user", {"user": "x"}, timeout=3
    )
    assert result.outcome == Outcome.PERMANENT
    assert "token request refused: HTTP 401" in result.message
    assert "Client authentication failed" in result.message


def test_oauth2_token_rejected_by_the_api_is_renewed_once(http_server: Any) -> None:
    config = oauth(http_server, "/renew/token", "renewing-client")
    http_server.expect_oneshot_request("/renew/token").respond_with_json(
        {"access_token": "revoked-token-1", "expires_in": 3600}
    )
    http_server.expect_oneshot_request("/renew/token").respond_with_json(
        {"access_token": "fresh-token-2", "expires_in": 3600}
    )
    http_server.expect_request(
        "/api/v1/users/x", headers={"Authorization": "Bearer revoked-token-1"}
    ).respond_with_json({"error": "invalid_token"}, status=401)
    http_server.expect_request(
        "/api/v1/users/x", headers={"Authorization": "Bearer fresh-token-2"}
    ).respond_with_json({"id": "x"})

    result = connector(config, client_secret="renewing-secret").call(
        "get_user", {"user": "x"}, timeout=3
    )

    assert result.ok, result.message
    assert result.data == {"id": "x"}
