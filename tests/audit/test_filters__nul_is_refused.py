"""A NUL (`%00`) in a filter compared with stored text (the search, actor, action, workflow,
target) is refused naming the parameter, wherever the filters are read: PostgreSQL refuses NUL
in a query, which used to make the audit API, the auditors' list, its exports and the execution
history answer 500 (issue 9)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from audit import filters
from tests.audit.conftest import signed_in

pytestmark = pytest.mark.django_db
LIST = "/admin/audit/auditevent/"


@pytest.mark.parametrize("name", filters.SEARCHED)
def test_parse_refuses_nul_in_a_searched_parameter(name: str) -> None:
    with pytest.raises(filters.FilterError) as caught:
        filters.parse({name: "ab\x00c"}, ZoneInfo("UTC"))
    assert str(caught.value) == f"{name!r} cannot contain NUL (\\u0000)"


@pytest.mark.parametrize("name", filters.SEARCHED)
def test_the_api_answers_400_naming_the_parameter(auditor, name: str) -> None:
    response = signed_in(auditor).get("/api/audit/events/", {name: "x\x00"})
    assert response.status_code == 400
    assert response.json() == {"detail": f"'{name}' cannot contain NUL (\\u0000)"}


def test_the_console_its_exports_and_the_history_refuse_it_too(auditor) -> None:
    client = signed_in(auditor)
    listing = client.get(LIST, {"actor": "\x00"})
    assert listing.status_code == 302 and "e=1" in listing["Location"]
    export = client.get(f"{LIST}export/csv/", {"q": "\x00"})
    assert (export.status_code, export.content) == (400, b"'q' cannot contain NUL (\\u0000)")
    history = client.get(f"{LIST}history/", {"workflow": "\x00"})  # the page names what it got
    assert (history.status_code, history.context["error"]) == (200, "no workflow '\\x00'")
    history_export = client.get(f"{LIST}history/export/csv/", {"workflow": "a\x00"})
    assert history_export.status_code == 400


def test_other_parameters_are_unchanged(auditor) -> None:
    """An unknown zone still falls back to the site's; a bad date is still its own message."""
    client = signed_in(auditor)
    assert client.get("/api/audit/events/", {"tz": "\x00"}).status_code == 200
    response = client.get("/api/audit/events/", {"from": "\x00"})
    assert response.json() == {"detail": "'from' must be a date like 2026-01-31, not '\\x00'"}
