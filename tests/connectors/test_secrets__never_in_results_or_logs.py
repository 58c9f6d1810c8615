"""No credential reaches a result or a log line, even when a server echoes it back."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from werkzeug import Request, Response

from connectors.base import Connector, Result
from connectors.types.email import EmailConnector
from connectors.types.ldap import LdapConnector
from connectors.types.rest import RestConnector
from connectors.types.scim import ScimConnector
from tests.connectors.servers import ScimServer, Slapd, free_port

pytestmark = pytest.mark.servers
OP = {"get_user": {"method": "GET", "path": "/users/{{ user }}"}}


def echo_authorization(request: Request) -> Response:
    """A careless server that quotes the request's credentials in its error message."""
    message = f"bad request, you sent Authorization: {request.headers.get('Authorization')}"
    return Response(json.dumps({"message": message}), status=400, content_type="application/json")


def assert_hidden(result: Result, caplog: pytest.LogCaptureFixture, *secrets: str) -> None:
    shown = json.dumps(result.to_dict()) + caplog.text
    for secret in secrets:
        assert secret not in shown


def run(connector: Connector, caplog: pytest.LogCaptureFixture, timeout: float = 3) -> Result:
    with caplog.at_level(logging.DEBUG):
        return connector.call("get_user", {"user": "alice"}, timeout=timeout)


@pytest.mark.parametrize("auth", ["bearer", "basic"])
def test_rest_credentials_echoed_by_the_server_are_redacted(
    http_server: Any, caplog: pytest.LogCaptureFixture, auth: str
) -> None:
    http_server.expect_request("/users/alice").respond_with_handler(echo_authorization)
    secret = "echoed-credential-77"
    connector = RestConnector(
        name="rest",
        config={
            "base_url": http_server.url_for(""),
            "auth": auth,
            "username": "svc",
            "operations": OP,
        },
        secrets={"token": secret, "password": secret},
    )
    result = run(connector, caplog)

    assert "you sent Authorization: " in result.message
    basic = base64.b64encode(f"svc:{secret}".encode()).decode()
    assert_hidden(result, caplog, secret, basic)


def test_oauth_access_token_echoed_by_the_server_is_redacted(
    http_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    http_server.expect_request("/token").respond_with_json(
        {"access_token": "derived-access-token-5150", "expires_in": 60}
    )
    http_server.expect_request("/users/alice").respond_with_handler(echo_authorization)
    connector = RestConnector(
        name="rest",
        config={
            "base_url": http_server.url_for(""),
            "auth": "oauth2_client_credentials",
            "token_url": http_server.url_for("/token"),
            "client_id": "echo-client",
            "operations": OP,
        },
        secrets={"client_secret": "client-secret-8086"},
    )
    result = run(connector, caplog)
    assert "you sent Authorization: " in result.message
    assert_hidden(result, caplog, "derived-access-token-5150", "client-secret-8086")


def test_scim_ldap_and_smtp_failures_do_not_show_their_credentials(
    scim_server: ScimServer, slapd: Slapd, caplog: pytest.LogCaptureFixture
) -> None:
    scim = ScimConnector(
        name="scim", config=scim_server.config(), secrets={"token": "wrong-scim-token-31"}
    )
    ldap = LdapConnector(
        name="ldap", config=slapd.config(), secrets={"password": "wrong-ldap-password-32"}
    )
    mail = EmailConnector(
        name="mail",
        config={"host": "127.0.0.1", "port": free_port(), "username": "svc"},
        secrets={"password": "smtp-password-33"},
    )
    results = [run(scim, caplog), run(ldap, caplog)]
    with caplog.at_level(logging.DEBUG):
        results.append(
            mail.call("notify", {"to": "a@example.org", "subject": "s", "body": "b"}, timeout=0.3)
        )
    for result in results:
        assert not result.ok
        assert_hidden(
            result, caplog, "wrong-scim-token-31", "wrong-ldap-password-32", "smtp-password-33"
        )
