"""When the database refuses, webhooks and the API answer 503 with Retry-After and a JSON body,
never a 500: a real pool of one connection held by another thread times out the delivery, which
is accepted once the connection is free again; "too many clients" and an error raised outside
any view are answered the same way."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import pytest
from django.db import OperationalError, connection, connections
from django.http import HttpResponse
from django.test import Client, RequestFactory

from idconfluence.ops.middleware import OverloadMiddleware
from idconfluence.ops.views import server_error
from tests.triggers.conftest import webhook_sender


@pytest.fixture
def pool_of_one() -> Iterator[None]:
    """Django's psycopg pool, as DB_POOL_MAX_SIZE=1 DB_POOL_TIMEOUT=1 configure it."""
    settings = connections.settings["default"]
    saved = dict(settings["OPTIONS"]), settings["CONN_MAX_AGE"]
    connection.close()
    settings["OPTIONS"] = {
        **settings["OPTIONS"],
        "pool": {"min_size": 1, "max_size": 1, "timeout": 1},
    }
    settings["CONN_MAX_AGE"] = 0
    try:
        yield
    finally:
        connection.close()
        connection.close_pool()
        settings["OPTIONS"], settings["CONN_MAX_AGE"] = saved


def hold_the_only_connection() -> tuple[threading.Event, threading.Thread]:
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            held.set()
            release.wait(30)
        connections["default"].close()  # back to the pool

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    return release, thread


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_pool_timeout_is_a_503_with_retry_after_then_the_retry_is_accepted(
    pool_of_one: None,
) -> None:
    sender = webhook_sender(Client(), slug="hires")
    connection.close()  # this thread's connection goes back to the pool too
    release, thread = hold_the_only_connection()
    try:
        refused = sender.post({"n": 1}, msg_id="evt-1")
    finally:
        release.set()
        thread.join(10)
    assert refused.status_code == 503
    assert refused["Retry-After"] == "5"
    assert refused.json() == {
        "status": "refused",
        "error": "the database is busy or unavailable: try again later",
        "retry_after": 5,
    }
    retried = sender.post({"n": 1}, msg_id="evt-1")
    assert retried.status_code == 202, retried.content


@pytest.mark.parametrize("path", ["/api/audit/events/", "/hooks/some-token/"])
def test_too_many_clients_is_a_json_503_for_machines(path: str) -> None:
    request = RequestFactory().post(path)
    middleware = OverloadMiddleware(lambda r: HttpResponse())
    exc = OperationalError("connection failed: FATAL:  sorry, too many clients already")
    response = middleware.process_exception(request, exc)
    assert response is not None and response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"


def test_other_errors_are_left_to_django() -> None:
    request = RequestFactory().get("/hooks/x/")
    assert (
        OverloadMiddleware(lambda r: HttpResponse()).process_exception(request, ValueError())
        is None
    )


def test_an_error_outside_any_view_is_still_a_503_for_people_too() -> None:
    request = RequestFactory().get("/admin/")
    try:
        raise OperationalError("the connection is closed")
    except OperationalError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/plain")
    try:
        raise ValueError("a bug")
    except ValueError:
        assert sys.exc_info()[0] is ValueError
        assert server_error(request).status_code == 500
