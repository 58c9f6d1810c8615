"""The shared HTTP session never re-sends a write on its own: a POST answered 503 or cut off after
it left is sent once (it may have been applied), a GET is retried, and a request that never got a
connection may be retried whatever its method."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.base import ConnectorError, Outcome
from connectors.http import MaybeApplied, RetryingSession
from connectors.retry import budget
from tests.connectors.servers import Proxy, free_port

pytestmark = pytest.mark.servers


def test_a_post_answered_503_is_sent_exactly_once(http_server: Any) -> None:
    http_server.expect_request("/things", "POST").respond_with_data("busy", status=503)

    with budget(3) as spent:
        response = RetryingSession().request("POST", http_server.url_for("/things"), json={})

    assert response.status_code == 503
    assert [r.method for r, _ in http_server.log] == ["POST"]
    assert spent.attempts == 1


def test_a_patch_answered_502_is_sent_exactly_once(http_server: Any) -> None:
    http_server.expect_request("/things/1", "PATCH").respond_with_data("bad gateway", status=502)

    with budget(3):
        response = RetryingSession().request("PATCH", http_server.url_for("/things/1"), json={})

    assert response.status_code == 502
    assert len(http_server.log) == 1


def test_a_get_answered_503_then_200_is_retried(http_server: Any) -> None:
    http_server.expect_oneshot_request("/things", "GET").respond_with_data("busy", status=503)
    http_server.expect_request("/things", "GET").respond_with_json({"items": []})

    with budget(3) as spent:
        response = RetryingSession().request("GET", http_server.url_for("/things"))

    assert response.status_code == 200
    assert [r.method for r, _ in http_server.log] == ["GET", "GET"]
    assert spent.attempts == 2


def test_a_post_that_never_connected_is_retried_and_a_clean_failure() -> None:
    with budget(0.6) as spent, pytest.raises(ConnectorError) as raised:
        RetryingSession().request("POST", f"http://127.0.0.1:{free_port()}/x", json={}, write=True)

    assert spent.attempts > 1  # nothing left the client, so re-sending is safe
    assert raised.value.outcome == Outcome.RETRYABLE
    assert "could not connect" in str(raised.value)


def test_a_post_whose_connection_drops_after_sending_is_not_resent(
    http_server: Any, http_proxy: Proxy
) -> None:
    http_server.expect_request("/things", "POST").respond_with_json({"id": 1}, status=201)
    http_proxy.once("POST", "/things", drop=True)
    url = f"http://127.0.0.1:{http_proxy.port}/things"

    with budget(3), pytest.raises(MaybeApplied) as raised:
        RetryingSession().request("POST", url, json={}, write=True)

    assert len(http_server.log) == 1
    assert raised.value.outcome == Outcome.UNKNOWN
    assert str(raised.value).startswith("may have been applied: POST /things: connection lost")


def test_a_read_whose_connection_drops_is_retried(http_server: Any, http_proxy: Proxy) -> None:
    http_server.expect_request("/things", "GET").respond_with_json({"items": []})
    http_proxy.once("GET", "/things", drop=True)

    with budget(3):
        response = RetryingSession().request("GET", f"http://127.0.0.1:{http_proxy.port}/things")

    assert response.status_code == 200
    assert len(http_server.log) == 2
