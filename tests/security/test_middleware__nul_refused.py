"""Issue 9: a NUL character in a path, a query parameter or a form field is refused with a 400
that says where, on every page: PostgreSQL refuses NUL in text, so an admin filter, an admin
search, the audit API's filters or a login form would otherwise answer 500."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.support.factories import admin_user
from workflows.models import Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def console() -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(admin_user())
    return client


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/admin/workflows/run/?state=%00", "the query parameter 'state' holds a NUL"),
        ("/admin/connectors/connector/?q=ab%00c", "the query parameter 'q' holds a NUL"),
        ("/admin/audit/auditevent/?%00=1", "a query parameter name holds a NUL"),
        ("/api/audit/events/?q=%00", "the query parameter 'q' holds a NUL"),
        ("/admin/workflows/run/%00/change/", "the address holds a NUL"),
    ],
)
def test_a_nul_in_the_address_is_refused_with_where_it_is(
    console: Client, url: str, message: str
) -> None:
    response = console.get(url)
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text and "which is refused" in text
    assert "Content-Security-Policy" in response.headers


def test_the_api_answers_its_refusal_as_json(console: Client) -> None:
    response = console.get("/api/audit/events/?action=%00")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "the query parameter 'action' holds a NUL character (U+0000), which is refused: "
        "remove it and send again",
    }


def test_a_nul_in_a_form_field_is_refused_before_any_view_or_write() -> None:
    client = Client(raise_request_exception=False)
    response = client.post("/admin/login/", {"username": "ro\x00ot", "password": "x"})
    assert response.status_code == 400
    assert "the form field 'username' holds a NUL" in response.content.decode()


def test_a_hook_body_is_left_to_its_intake_rule(console: Client) -> None:
    response = console.post(
        "/hooks/no-such-token/", data=b'{"a": 1}', content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 404  # not read as a form here: the view reads it raw
    assert not Run.objects.exists()
