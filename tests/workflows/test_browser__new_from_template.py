"""*New from template* in Chromium (headless, Playwright): from the workflow list, the button opens
the template page; picking the mover with a name and slug lands on the new draft with a message
naming the connectors to set up; a taken slug is refused next to the field, the choice kept. No
request leaves the server."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.scenarios.browser import ARGS, ARTIFACTS, CHROMIUM
from tests.support.factories import admin_user
from workflows.models import Workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_compliance_manager_makes_a_workflow_from_a_template_in_the_browser(
    live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    admin_user()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            outside: list[str] = []
            here = urlsplit(live_server.url).netloc
            page.on(
                "request",
                lambda r: outside.append(r.url) if urlsplit(r.url).netloc != here else None,
            )
            page.goto(f"{live_server.url}/admin/")
            page.fill("#id_username", "admin")
            page.fill("#id_password", "pw-Admin-123")
            page.click("input[type=submit]")
            page.goto(f"{live_server.url}/admin/workflows/workflow/")
            page.click("text=New from template")
            page.wait_for_selector("#templates")
            assert "left without access" in page.locator("#templates").inner_text()
            page.check("#template-mover")
            page.fill("#id_name", "Movers EMEA")
            page.fill("#id_slug", "movers-emea")
            page.click("input[type=submit]")
            page.wait_for_selector(".messagelist")
            message = page.locator(".messagelist").inner_text()
            assert "Movers EMEA: draft v1 made from the template" in message
            assert "mail, scim-directory" in message
            assert "/admin/workflows/workflowversion/" in page.url
            page.screenshot(path=str(ARTIFACTS / "new-from-template.png"), full_page=True)

            page.goto(f"{live_server.url}/admin/workflows/workflow/from-template/")
            page.check("#template-leaver")
            page.fill("#id_name", "Again")
            page.fill("#id_slug", "movers-emea")
            page.click("input[type=submit]")
            row = page.locator(".form-row.errors")
            assert "already exists" in row.inner_text() and "Slug" in row.inner_text()
            assert page.is_checked("#template-leaver")
            assert not outside, outside
        finally:
            browser.close()
    assert list(Workflow.objects.values_list("slug", flat=True)) == ["movers-emea"]
