"""The audit filter: the zone picker starts at the browser's zone, a "to" before "from" and an
unknown zone are errors on the page (no events shown instead of all of them), and the CSV and
JSON Lines exports download under different, dated names."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from audit.services import record
from tests.console_newuser.conftest import Console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    return {"timezone_id": "Pacific/Auckland"}


def test_audit_filter_errors_zone_picker_and_export_names(console: Console) -> None:
    page = console.page
    record(action="workflow.published", details={"number": 1})
    console.go("/admin/audit/auditevent/")
    # audit/static/audit/timezone.js sends the browser's zone once and reloads the page.
    expect(page.locator("#af-tz")).to_have_value("Pacific/Auckland")
    assert page.locator("#af-tz option").count() > 300  # a picker, not free text
    assert page.locator("#result_list tbody tr").count() >= 1

    page.fill("#af-from", "2026-04-03")
    page.fill("#af-to", "2026-04-01")
    page.click(".audit-filter input[type=submit]")
    assert "'from' (2026-04-03) is after 'to' (2026-04-01)" in page.inner_text("#af-error")
    assert page.locator("#result_list tbody tr").count() == 0
    console.shot("audit-filter-error")

    console.go("/admin/audit/auditevent/?tz=Mars/Olympus")
    assert "unknown time zone 'Mars/Olympus'" in page.inner_text("#af-error")
    assert page.locator("#result_list tbody tr").count() == 0

    console.go("/admin/audit/auditevent/")
    names = []
    for label in ("Export CSV", "Export JSON Lines"):
        with page.expect_download() as download:
            page.click(f"text={label}")
        names.append(download.value.suggested_filename)
    csv_name, jsonl_name = names
    assert csv_name != jsonl_name
    assert re.fullmatch(r"audit-events-\d{8}T\d{6}Z\.csv\.zip", csv_name), csv_name
    assert re.fullmatch(r"audit-events-\d{8}T\d{6}Z\.jsonl\.zip", jsonl_name), jsonl_name
