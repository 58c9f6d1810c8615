"""In headless Chromium: two editors open the same draft; the second to save is refused with a
message naming who saved in between, loses nothing of the first's work, and can reload it."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.models import Connector
from workflows.models import Block
from workflows.services.versions import workflow_import

from .browser import browser_page
from .conftest import joiner_document
from .test_browser__build_the_joiner import editor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rename(page: Any, key: str, label: str) -> None:
    page.locator(f"[data-testid=block-{key}]").click()
    page.locator(".idc-panel #idc-block-label").fill(label)


def test_a_second_editors_stale_save_is_refused(
    live_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    Connector.objects.create(name="local-directory", type="local")
    workflow = workflow_import(document=joiner_document(), actor=None, publish=True).workflow
    url = f"{live_server.url}/admin/workflows/workflow/{workflow.pk}/builder/"
    with (
        sync_api.sync_playwright() as playwright,
        browser_page(playwright, live_server, editor("erin")) as erin,
        browser_page(playwright, live_server, editor("sam")) as sam,
    ):
        for watched in (erin, sam):
            watched.page.goto(url)
            watched.page.locator("[data-testid=block-person]").wait_for()

        rename(sam.page, "person", "Sam's joiner")
        sam.page.get_by_role("button", name="Save").click()
        sam.page.locator("#idc-message.idc-ok").wait_for()

        rename(erin.page, "done", "Erin's end")
        erin.page.get_by_role("button", name="Save").click()
        refused = erin.page.locator("#idc-message.idc-error")
        refused.wait_for()
        text = refused.inner_text()
        assert "saved by sam" in text and "your changes were not saved" in text, text
        erin.shot("stale-save-refused")
        labels = dict(
            Block.objects.filter(version__workflow=workflow, version__state="draft")
            .filter(key__in=["person", "done"])
            .values_list("key", "label")
        )
        assert labels == {"person": "Sam's joiner", "done": "Done"}  # Sam's work kept

        erin.page.get_by_role("button", name="Reload the latest draft").click()
        erin.page.get_by_text("Reloaded the latest saved draft").wait_for()
        person = erin.page.locator("[data-testid=block-person] .idc-node-title")
        # the message shows before the canvas has redrawn the nodes: wait for the title
        sync_api.expect(person).to_have_text("Sam's joiner")
        assert erin.outside() == [] and sam.outside() == []
