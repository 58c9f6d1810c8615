"""REST connector against a real loopback HTTP server: retries, Retry-After, time limits, 4xx.

The operation here is an idempotent PUT, which the HTTP layer may re-send; a write cut off after
it left is UNKNOWN (it may have been applied), a read cut off is simply retryable."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug import Request, Response

from connectors.base import Outcome
from connectors.types.rest import RestConnector
from tests.connectors.servers import free_port

pytestmark = pytest.mark.servers

ADD = {"user": "u1", "group": "g1"}


def rest(base_url: str, **operation: Any) -> RestConnector:
    spec = {"method": "PUT", "path": "/groups/{{ group }}/users/{{ user }}", **operation}
    read = {"method": "GET", "path": "/groups/{{ group }}/users/{{ user }}"}
    operations = {"add_group_member": spec, "get_user": read}
    return RestConnector(
        name="rest",
        config={"base_url": base_url, "auth": "bearer", "operations": operations},
        secrets={"token": "rest-token-0123"},
    )


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # let a hanging handler finish so the server thread is free again


def test_a_503_then_200_succeeds_after_one_retry(http_server: Any) -> None:
    http_server.expect_oneshot_request("/groups/g1/users/u1", "PUT").respond_with_data(
        "busy", status=503
    )
    http_server.expect_request("/groups/g1/users/u1", "PUT").respond_with_data("", status=204)

    result = rest(http_server.url_for("")).call("add_group_member", ADD, timeout=3)

    assert result.outcome == Outcome.CHANGED, result.message
    assert result.attempts == 2
    assert [r.method for r, _ in http_server.log] == ["PUT", "PUT"]


def test_retry_after_is_honoured(http_server: Any) -> None:
    http_server.expect_oneshot_request("/groups/g1/users/u1").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "1"}
    )
    http_server.expect_request("/groups/g1/users/u1").respond_with_data("", status=204)

    started = time.monotonic()
    result = rest(http_server.url_for("")).call("add_group_member", ADD, timeout=3)

    assert result.outcome == Outcome.CHANGED
    assert result.attempts == 2
    assert time.monotonic() - started >= 0.95


def test_a_retry_after_beyond_the_time_left_gives_up_at_once(http_server: Any) -> None:
    http_server.expect_request("/groups/g1/users/u1").respond_with_json(
        {"message": "quota exhausted"}, status=429, headers={"Retry-After": "30"}
    )

    started = time.monotonic()
    result = rest(http_server.url_for("")).call("add_group_member", ADD, timeout=2)

    assert result.outcome == Outcome.RETRYABLE
    assert "HTTP 429" in result.message and "quota exhausted" in result.message
    assert result.attempts == 1
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize(
    ("operation", "outcome"),
    [
        # the PUT left: the server may apply it after the cut-off, so this is no clean failure
        ("add_group_member", Outcome.UNKNOWN),
        ("get_user", Outcome.RETRYABLE),
    ],
)
def test_a_hanging_server_is_cut_off_at_the_timeout(
    http_server: Any, release: threading.Event, operation: str, outcome: Outcome
) -> None:
    def hang(request: Request) -> Response:
        release.wait(10)
        return Response("too late", status=204)

    http_server.expect_request("/groups/g1/users/u1").respond_with_handler(hang)

    timeout = 0.6
    started = time.monotonic()
    result = rest(http_server.url_for("")).call(operation, ADD, timeout=timeout)
    elapsed = time.monotonic() - started

    assert result.outcome == outcome, result.message
    assert "no answer before the time limit" in result.message
    assert result.message.startswith("may have been applied") == (outcome == Outcome.UNKNOWN)
    assert elapsed < timeout + 0.25
    release.set()  # finish the handler here, so its late answer is not logged in the next test
    for _ in range(100):
        if http_server.log:
            break
        time.sleep(0.01)


def test_a_put_answered_503_until_the_time_is_up_may_have_been_applied(
    http_server: Any,
) -> None:
    http_server.expect_request("/groups/g1/users/u1", "PUT").respond_with_data("busy", status=503)

    result = rest(http_server.url_for("")).call("add_group_member", ADD, timeout=0.8)

    assert result.outcome == Outcome.UNKNOWN
    assert result.message.startswith("may have been applied: add_group_member")
    assert "HTTP 503" in result.message
    assert result.attempts > 1  # an idempotent PUT may be re-sent inside the budget
    assert len(http_server.log) == result.attempts


def test_a_400_fails_at_once_with_the_servers_message(http_server: Any) -> None:
    http_server.expect_request("/groups/g1/users/u1").respond_with_json(
        {"error": {"code": "Request_BadRequest", "message": "Invalid object identifier 'u1'."}},
        status=400,
    )

    result = rest(http_server.url_for("")).call("add_group_member", ADD, timeout=3)

    assert result.outcome == Outcome.PERMANENT
    assert result.attempts == 1
    assert "HTTP 400" in result.message
    assert "Invalid object identifier 'u1'." in result.message
    assert len(http_server.log) == 1


def test_connection_refused_is_retried_until_the_time_is_up() -> None:
    timeout = 0.8
    result = rest(f"http://127.0.0.1:{free_port()}").call("add_group_member", ADD, timeout=timeout)
    assert result.outcome == Outcome.RETRYABLE
    assert result.attempts > 1
    assert result.duration_ms < (timeout + 0.25) * 1000
