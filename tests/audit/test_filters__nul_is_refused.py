"""A NUL (`%00`) in a filter compared with stored text (the search, actor, action, workflow,
target) is refused naming the parameter, wherever the filters are read (the HTTP entry points
and the audit commands): PostgreSQL refuses NUL in a query, which used to make the audit API,
the auditors' list, its exports and the execution history answer 500 (issue 9)."""

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


@pytest.mark.parametrize(
    "url",
    [
        "/api/audit/events/?actor=x%00",
        f"{LIST}?actor=%00",
        f"{LIST}export/csv/?q=%00",
        f"{LIST}history/?workflow=%00",
        f"{LIST}history/export/csv/?workflow=a%00",
        "/api/audit/events/?tz=%00",
    ],
)
def test_over_http_the_request_is_refused_before_the_filters(auditor, url: str) -> None:
    """idconfluence.middleware answers first, naming the parameter; `parse` guards the rest
    (the audit commands read the same filters)."""
    response = signed_in(auditor).get(url)
    assert response.status_code == 400
    assert "holds a NUL character (U+0000)" in response.content.decode()
